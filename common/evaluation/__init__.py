"""Evaluation: greedy predictions on held-out rows, IFEval's official rules, bootstrap
intervals (stats) and the predictions file both evaluate CLIs read and write."""
