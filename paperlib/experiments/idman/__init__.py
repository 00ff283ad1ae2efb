"""IDMAN workflows: the architecture and its ablation switches (``architecture``), Tables 1-4 and Figs 5-6
(``ablations``), Tables 5-8 and Figs 7-10 (``compare``) and the designed experiments of the claims ledger."""
