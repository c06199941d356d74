"""Workflows: the steps behind each command, composed from ingest, coding, store and export.

Each returns a plain result object for the command line to render; none prints.
"""
