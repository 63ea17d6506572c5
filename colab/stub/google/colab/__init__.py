"""Stand-in for Colab's ``google.colab`` module, used by ``make colab-check``.

The book's notebooks ask only whether this module exists (``runtime.is_colab()`` and the
set-up cell), so its presence is what makes a kernel behave as on Colab. ``google`` stays a
namespace package, so ``google.protobuf`` (TensorFlow's) still imports beside it.
"""

from google.colab import output  # noqa: F401
