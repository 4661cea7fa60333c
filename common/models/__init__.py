"""Models: offline resolution and loading of policies and embedders (assets), precision and
dtypes, and the ``nn.Module`` inside a policy handle (unwrap). Imports no other room."""
