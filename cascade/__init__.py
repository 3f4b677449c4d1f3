"""CASCADE: block-diffusion language models with an exact block KV cache and adaptive denoising steps

Modules:

- `cascade.judge`: `TextJudge`: a pretrained causal LM that scores continuation *text* given its prompt text, per sample (NLL sum and token count) and pooled (generative perplexity); `TextJudge.smollm2()` is SmolLM2-135M-Instruct from a PyPI wheel.
- `cascade.report`: Turn `results/*.json` into `figures/*.{pdf,png}`, `paper/tables/*.tex` and `paper/numbers.tex`, and check that no number in the paper is typed by hand."""

__version__ = "0.1.0"
