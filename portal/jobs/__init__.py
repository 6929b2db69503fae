"""Scheduled jobs: plain synchronous sweeps over due work rows, run only by the leader process."""
