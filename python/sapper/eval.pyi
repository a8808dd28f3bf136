"""Type stubs of sapper.eval (definitions and units: the docstrings and docs/eval.md)."""
import os
from dataclasses import dataclass
from typing import Any, Mapping, Sequence, overload

import numpy as np
import numpy.typing as npt

DEPTH_BINS: tuple[float, ...]
FA_RATES: tuple[float, ...]

@dataclass(frozen=True)
class OperatingPoint:
    rate: float
    threshold: float
    pd: float
    far: float
    n_detected: int
    n_false: int
    pd_lo: float
    pd_hi: float

@dataclass(frozen=True)
class Group:
    name: str
    n_targets: int
    n_detected: int
    pd: float
    pd_lo: float
    pd_hi: float

@dataclass(frozen=True)
class Roc:
    threshold: npt.NDArray[np.float64]
    pd: npt.NDArray[np.float64]
    far: npt.NDArray[np.float64]
    n_detected: npt.NDArray[np.int64]
    n_false: npt.NDArray[np.int64]

@dataclass(frozen=True)
class Score:
    CONFUSION_ROWS: tuple[str, ...]
    CONFUSION_COLS: tuple[str, ...]
    n_targets: int
    n_alarms: int
    n_scored: int
    n_outside: int
    area_m2: float
    roc: Roc
    at_rates: list[OperatingPoint]
    max_far: float
    pauc: float
    operating: OperatingPoint
    n_false_on_clutter: int
    by_type: list[Group]
    by_label: list[Group]
    by_depth: list[Group]
    depth_bins: npt.NDArray[np.float64]
    target_id: npt.NDArray[np.int64]
    target_label: npt.NDArray[Any]
    target_alarm: npt.NDArray[np.int64]
    target_distance: npt.NDArray[np.float64]
    target_confidence: npt.NDArray[np.float64]
    target_halo: npt.NDArray[np.float64]
    alarm_target: npt.NDArray[np.int64]
    alarm_target_id: npt.NDArray[np.int64]
    alarm_duplicate_of: npt.NDArray[np.int64]
    alarm_clutter: npt.NDArray[np.int64]
    alarm_outside: npt.NDArray[np.bool_]
    alarm_distance: npt.NDArray[np.float64]
    confusion: npt.NDArray[np.int64] | None = ...
    def table(self) -> str: ...

def score(alarms: Mapping[str, Any] | npt.NDArray[Any] | Sequence[Mapping[str, Any]],
          truth: Mapping[str, Any] | str | os.PathLike[str], *, halo: float | Mapping[str, float] | None = ...,
          halo_by_id: Mapping[int, float] | None = ..., depth_bins: Sequence[float] = ...,
          fa_rates: Sequence[float] = ..., max_far: float = ..., confidence_level: float = ...,
          duplicates_are_false_alarms: bool = ..., threshold: float | None = ...,
          operating_far: float = ...) -> Score: ...
@overload
def clopper_pearson(k: int, n: int, level: float = ...) -> tuple[float, float]: ...
@overload
def clopper_pearson(k: npt.ArrayLike, n: npt.ArrayLike,
                    level: float = ...) -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64]]: ...
def scr(data: npt.ArrayLike, mask: npt.ArrayLike, window: tuple[int, int | None] | None = ...) -> float: ...
def target_mask(scene: npt.ArrayLike, twin: npt.ArrayLike, level_db: float = ...) -> npt.NDArray[np.bool_]: ...
def scr_gain_db(raw: npt.ArrayLike, processed: npt.ArrayLike, mask: npt.ArrayLike,
                window: tuple[int, int | None] | None = ...) -> float: ...
