"""Import this before transformers: it makes transformers skip its torchvision integration (the CPU torch wheel's
torchvision has no C ops here), so the ground-truth scripts can build vision models from transformers alone."""
import transformers.utils.import_utils as iu

iu.is_torchvision_available = lambda: False
import transformers.utils as tu  # noqa: E402

tu.is_torchvision_available = lambda: False
