"""rekisteri: a customer and student register that keeps its privacy notice by construction."""

__version__ = "0.1.0"
