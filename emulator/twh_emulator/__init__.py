"""twh's AWS emulator: moto 5.2.5 extended in-process with the operations and
AWS-faithful answers twh needs (see README.md)."""

__all__ = ["__version__"]
__version__ = "0.1.0"
