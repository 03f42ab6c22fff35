"""export-screening: screens AI-chip orders and GPU leases against US export controls."""

__version__ = "0.1.0"
