"The parameterised experiment notebooks keep what papermill and scripts/run_notebook.py need: one cell tagged `parameters`."
import json, re, pytest
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
EXPERIMENTS = sorted((ROOT/'experiments').glob('*.ipynb'))

@pytest.mark.parametrize('nb', EXPERIMENTS, ids=[p.stem for p in EXPERIMENTS])
def test_parameters_cell(nb):
    cells = json.loads(nb.read_text())['cells']
    tagged = [c for c in cells if 'parameters' in c.get('metadata', {}).get('tags', [])]
    assert len(tagged) == 1, f'{nb.name}: {len(tagged)} cells tagged "parameters" (nbdev-clean drops the tag: do not run it on experiments/)'
    src = ''.join(tagged[0]['source'])
    names = set(re.findall(r'^([A-Za-z_]\w*)\s*=', src, flags=re.M))
    assert names, f'{nb.name}: the parameters cell defines no names'

def test_repro_parameters_exist():
    "Each `run_nb <notebook> ... -p NAME VALUE` in repro.sh names a parameter of that notebook (papermill would ignore it silently)."
    text = (ROOT/'repro.sh').read_text().replace('\\\n', ' ')
    bad = []
    for m in re.finditer(r'run_nb (\w+\.ipynb) (.*)', text):
        nb, rest = m.group(1), m.group(2)
        cells = json.loads((ROOT/'experiments'/nb).read_text())['cells']
        src = ''.join(''.join(c['source']) for c in cells if 'parameters' in c.get('metadata', {}).get('tags', []))
        names = set(re.findall(r'^([A-Za-z_]\w*)\s*=', src, flags=re.M))
        bad += [(nb, p) for p in re.findall(r'-p (\w+) ', rest.split(';;')[0]) if p not in names]
    assert not bad, f'repro.sh passes parameters the notebooks do not define: {sorted(set(bad))}'
