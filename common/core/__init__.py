"""Primitives every room shares and that import nothing else of the project: the one
registration mechanism (:mod:`common.core.registry`)."""
