"""CASCADE: block-diffusion language models with an exact block KV cache and adaptive denoising steps

Modules:

- `cascade.report`: Turn `results/*.json` into `figures/*.{pdf,png}`, `paper/tables/*.tex` and `paper/numbers.tex`, and check that no number in the paper is typed by hand."""

__version__ = "0.1.0"
