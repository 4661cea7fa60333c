"""Generators of the bundled sample files (run through ``python -m common.data.make_samples``).

Everything here is written by the project: small hand-written catalogs (``catalog``,
``lexicon``, ``reviews``, ``explanations``) and templated, seeded generators over them whose
gold answers are correct by construction.
"""
