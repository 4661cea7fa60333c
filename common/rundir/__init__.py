"""Run directory: checkpoints, resume, the run lock, preemption, tracking, the run reader and
plots, and the process ranks that decide who writes (distributed). Never imports training."""
