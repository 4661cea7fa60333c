"""Research studies: a hypothesis, a grid of training runs (conditions x seeds), held-out
evaluation of every trained policy, and a report with 95 % intervals.

    python -m experiments.studies <name> [--seeds 0 1 2] [--only COND ...] [--report-only]

A study is one YAML file, ``conf/study/<name>.yaml`` (:mod:`experiments.studies.spec`).
Training runs go under ``outputs/studies/<name>/runs/<condition>/seed<k>/`` and are skipped
when already finished, so a study can run in parts (``--only``, ``--seeds``) and resume after
an interruption. The report (``table.md``, ``differences.md``, ``results.json``, plots) goes to
``results/<name>/`` beside the study's hand-written ``README.md`` (hypothesis, command,
commit, wall time, what the numbers show).

Modules: ``spec`` (the YAML), ``grid`` (training runs), ``heldout`` (predictions and per-row
scores of one policy), ``seed_bootstrap`` (intervals over seeds and prompts), ``report``
(tables, JSON, plots).
"""
