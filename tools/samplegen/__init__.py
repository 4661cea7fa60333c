"""Generators of the bundled sample files (``python -m tools.samplegen.make_samples``).

Build-time code: the runtime packages read the files these write into
``common/data/samples/`` and never import this package (tests/tools/test_runtime_imports.py
checks it). Everything here is written by the project: small hand-written catalogs (``catalog``
with ``data/categories.json``, ``lexicon``, ``reviews``, ``instruct_topics``, ``eli5`` with
``data/eli5_topics.json``) and templated, seeded generators over them whose gold answers are
correct by construction:

- ``shopping`` (``shop_*``): ``shopping_sample.jsonl``, ShopBench format;
- ``alce_rows``: ``alce_sample.json``, ASQA- and ELI5-style rows;
- ``open_prompts``: ``prompts_sample.jsonl``;
- ``instruct`` (``instruct_prompts``, ``instruct_answers``): ``instruct_sample.jsonl``;
- ``ifeval_testbed``: ``ifeval_testbed_{train,heldout}.jsonl``;
- ``pref_pairs``: ``pref_pairs.jsonl.gz``, the preference reward model's training pairs.
"""
