"""Data: datasets, the seeded batch ``Loader``, batch transforms and named sources (``load``)."""

from polyframe.data.datasets import AbstractDataset as AbstractDataset
from polyframe.data.datasets import ArrayDataset as ArrayDataset
from polyframe.data.datasets import MapDataset as MapDataset
from polyframe.data.datasets import from_arrays as from_arrays
from polyframe.data.datasets import from_generator as from_generator
from polyframe.data.datasets import from_map as from_map
from polyframe.data.datasets import from_npz as from_npz
from polyframe.data.loader import Loader as Loader
from polyframe.data.prefetch import prefetch as prefetch
from polyframe.data.sources import load as load
from polyframe.data.sources import load_train_test as load_train_test
from polyframe.data.sources import register_source as register_source
from polyframe.data.sources import sources as sources
from polyframe.data.tokenizer import Tokenizer as Tokenizer
from polyframe.data.transforms import AbstractTransform as AbstractTransform
from polyframe.data.transforms import Normalize as Normalize
from polyframe.data.transforms import OneHot as OneHot
from polyframe.data.transforms import RandomCrop as RandomCrop
from polyframe.data.transforms import RandomFlip as RandomFlip
from polyframe.data.transforms import batch_rng as batch_rng
from polyframe.data.validate import as_images as as_images
from polyframe.data.validate import check_labels as check_labels
