"""DRIDSR workflows: Tables 1-2 and Figs 5-11 (``tables``), the budget study (``budget``) and the designed
experiments of the claims ledger (``path_ablation``). The fast-path parity check is a benchmark: ``bench.parity``."""
