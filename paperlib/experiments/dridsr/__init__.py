"""DRIDSR workflows: Tables 1-2 and Figs 5-11 (``tables``), the budget study (``budget``), the fast-path
parity check (``parity``) and the designed experiments of the claims ledger."""
