"""Fuzz harness for auditor (issue 9, scope item 9).

Hostile input must never crash auditor, hang it, eat memory, leak files or pass
silently. This package feeds it generated and mutated input through the real
pipeline (configuration → ``FileScan`` (every source) → every check → every renderer), the way
the CLI does, and classifies what happened:

* :mod:`.generators` — ARM templates, ARM expressions and Terraform text, written
  once against a small :class:`~.generators.Chooser` interface so that the same
  code serves hypothesis (shrinking, ``derandomize``) and a plain seeded
  ``random.Random`` (fast enough for 100,000 inputs);
* :mod:`.strategies` — the hypothesis strategies over those generators;
* :mod:`.mutators` — mutations of the real files of ``../shared/corpus`` (JSON
  structure, bytes, HCL text) and the hostile multi-file cases (parameters
  files, modules, symlinks, FIFOs, configuration files, long names);
* :mod:`.pipeline` — one case through the pipeline, and its verdict;
* :mod:`.runner` — the campaign (``python -m tests.fuzz`` or
  ``benchmarks/fuzz.py``): watchdog, statistics, saving and replaying inputs.

``test_fuzz_bounded.py`` is the bounded run of the normal test suite.
"""
