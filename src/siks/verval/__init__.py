"""Verval: the batch pipeline (padan Dukcapil, ganda, KK, pengecualian, PMT) over DuckDB and Splink."""
