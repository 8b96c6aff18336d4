"""Parole's benchmark: latency, throughput, memory and recovery, against a bare relay.

``python -m bench`` (``make bench``) runs every scenario and writes
``bench/results/latest.json`` and ``bench/results/report.md``; ``--smoke`` runs
the same code at toy sizes. See ``ops/benchmark.md``.
"""
