"""The Matrix adapter: the shared core on a Matrix homeserver, through matrix-nio."""

from adapters.matrix.login import MatrixStartupError
from adapters.matrix.platform import MatrixPlatform
from adapters.matrix.runner import MatrixBot, MatrixConfig

__all__ = ["MatrixBot", "MatrixConfig", "MatrixPlatform", "MatrixStartupError"]
