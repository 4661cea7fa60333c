"""Build-time tools, run from a checkout (never imported by the runtime packages ``common``,
``drbo``, ``laser``, ``experiments``, and not installed with them): the generators of the
bundled sample files (:mod:`tools.samplegen`) and the NLTK Punkt data rebuild
(``tools/build_punkt_data.py``)."""
