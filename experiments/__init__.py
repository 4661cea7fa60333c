from experiments import schema as _schema  # noqa: F401  (the config schemas, before any compose)
