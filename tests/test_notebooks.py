"Run every notebook in nbs/ with nbdev's test runner: one pytest test per notebook."
import os, pytest
from pathlib import Path
from nbdev.test import test_nb as run_notebook
from nbdev.config import get_config

NBS = Path(__file__).resolve().parent.parent/'nbs'
NOTEBOOKS = sorted(p for p in NBS.glob('[0-9]*.ipynb'))

@pytest.mark.parametrize('nb', NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_notebook(nb):
    flags = os.environ.get('NBDEV_FLAGS', '').split()
    skip = get_config(NBS).tst_flags.split()
    ok, secs = run_notebook(nb, skip_flags=skip, force_flags=flags, basepath=NBS, showerr=True)
    assert ok, f'{nb.name} failed after {secs:.1f}s (see the traceback above)'
