"""Typed errors. Every message names the file (or dataset/model) and the problem."""


class PaperlibError(Exception):
    """Base class for all errors raised deliberately by paperlib."""


class DataError(PaperlibError, ValueError):
    """An input file exists but cannot be used (corrupt, wrong bit depth, too small...)."""


class DatasetNotFoundError(PaperlibError, FileNotFoundError):
    """A dataset folder or split file is missing; the message says where we looked and where to get it."""


class UnknownNameError(PaperlibError, KeyError):
    """An unknown model, dataset or profile name; the message lists the valid names."""

    def __str__(self):  # KeyError would otherwise repr() the message
        return str(self.args[0]) if self.args else ""


class MetricUnavailableError(PaperlibError, RuntimeError):
    """A metric needs a model file that is not available offline (e.g. NRQM_model.mat for Ma/PI)."""


class CheckpointError(PaperlibError, RuntimeError):
    """A checkpoint is corrupt, truncated or was made under other settings."""
