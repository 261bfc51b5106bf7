"""`GridSearchCV` and `RandomizedSearchCV` that train every candidate and fold at once.

They take scikit-learn's constructor and `fit` arguments and give its results (`cv_results_`
with the same keys, `best_params_`, `best_score_`, `best_index_`, `best_estimator_`,
`refit_time_`, `n_splits_`), so a tutorial changes one import. Candidates are drawn exactly as
scikit-learn draws them (`ParameterSampler`/`ParameterGrid` with the same `random_state`).

Inside, every (candidate, fold) pair is a member: a model built by the jeras scikit-learn
wrapper for that candidate, under its own seed. Members of one structure whose folds have one
size are grouped and trained together in one compiled program, vmapped over their stacked
parameters and hyperparameters (`jeras.tuning.vectorized`); the folds are row indices into one
device copy of the data. How grouping works, and when it is exact, is in docs/architecture.md
("Vectorized search"). A group whose fit cannot run on the device (a host-only callback, a
`validation_split`) is trained member by member, still sharing compiled programs.
"""

from __future__ import annotations

import math
import time
import warnings
from collections.abc import Mapping, Sequence
from numbers import Integral
from typing import Any

import numpy as np
from sklearn.base import BaseEstimator, MetaEstimatorMixin, clone, is_classifier
from sklearn.metrics import check_scoring
from sklearn.model_selection import ParameterGrid, ParameterSampler, check_cv

from jeras import backend
from jeras.training.inputs import InputPreparer
from jeras.training.structure import structure_key
from jeras.tuning.padding import hidden_widths, padded_copy
from jeras.tuning.vectorized import Member, NotVectorizable, fit_members, prepare_member


def member_seed(random_state: int, candidate: int, fold: int) -> int:
    """The seed a member is built and trained under: reproducible from the search's
    `random_state`. Training the candidate alone after `keras.utils.set_random_seed(seed)` on
    that fold gives the same model (see `member_seeds_`)."""
    return int(np.random.SeedSequence([int(random_state), candidate, fold]).generate_state(1)[0])


class BaseSearchCV(MetaEstimatorMixin, BaseEstimator):
    """What the grid and randomized searches share; use one of them."""

    def __init__(
        self,
        estimator,
        *,
        scoring=None,
        n_jobs=None,
        refit=True,
        cv=None,
        verbose=0,
        pre_dispatch="2*n_jobs",
        random_state=None,
        error_score=np.nan,
        return_train_score=False,
    ):
        self.estimator = estimator
        self.scoring = scoring
        self.n_jobs = n_jobs
        self.refit = refit
        self.cv = cv
        self.verbose = verbose
        self.pre_dispatch = pre_dispatch
        self.random_state = random_state
        self.error_score = error_score
        self.return_train_score = return_train_score

    # ------------------------------------------------------------------ subclasses
    def _candidates(self) -> list[dict[str, Any]]:
        raise NotImplementedError

    def _check_candidate_space(self) -> None:
        raise NotImplementedError

    # ------------------------------------------------------------------ fit
    def fit(self, X, y=None, *, groups=None, **fit_params):
        """Trains every candidate on every fold, scores them, and refits the best on all of X.

        Args:
            X, y: the data, as the estimator's `fit` takes them.
            groups: group labels for group-aware splitters.
            **fit_params: passed to the estimator's `fit` (epochs, validation_data, callbacks...).

        Returns:
            self.
        """
        self._check_arguments()
        candidates = self._candidates()
        X_all, y_all = np.asarray(X), None if y is None else np.asarray(y)
        cv = check_cv(self.cv, y_all, classifier=is_classifier(self.estimator))
        splits = list(cv.split(X_all, y_all, groups))
        self.n_splits_ = len(splits)
        scorer = check_scoring(self.estimator, scoring=self.scoring)
        if self.verbose > 0:
            print(
                f"Fitting {len(splits)} folds for each of {len(candidates)} candidates, "
                f"totalling {len(splits) * len(candidates)} fits"
            )
        seeds = self._member_seeds(len(candidates), len(splits))
        self.member_seeds_ = seeds
        fitted, fit_times, errors = self._train_members(candidates, splits, seeds, X_all, y_all, fit_params)
        test_scores, train_scores, score_times = self._score_members(
            candidates, splits, fitted, errors, scorer, X_all, y_all
        )
        self.cv_results_ = self._results(candidates, test_scores, train_scores, fit_times, score_times)
        self.best_index_ = int(self.cv_results_["rank_test_score"].argmin())
        self.best_params_ = candidates[self.best_index_]
        self.best_score_ = float(self.cv_results_["mean_test_score"][self.best_index_])
        self.scorer_ = scorer
        self.multimetric_ = False
        if self.refit:
            start = time.perf_counter()
            self.best_estimator_ = clone(self.estimator).set_params(**self.best_params_)
            self.best_estimator_.fit(X, y, **fit_params)
            self.refit_time_ = time.perf_counter() - start
            if hasattr(self.best_estimator_, "classes_"):
                self.classes_ = self.best_estimator_.classes_
        return self

    def _check_arguments(self) -> None:
        if not hasattr(self.estimator, "build_model") or not hasattr(self.estimator, "fit_arguments"):
            raise TypeError(
                "jeras.tuning searches train jeras scikit-learn wrappers (keras.wrappers.scikit_learn.KerasRegressor, "
                "jeras.wrappers.SKLearnRegressor, ...); use scikit-learn's own search for other estimators. "
                f"Received: estimator of type {type(self.estimator).__name__}"
            )
        if isinstance(self.scoring, (list, tuple, set, Mapping)):
            raise ValueError(
                "jeras.tuning scores with one metric (a name, a callable or None); for several metrics use "
                f"scikit-learn's search with the jeras wrapper. Received: scoring={self.scoring!r}"
            )
        if not (isinstance(self.error_score, (int, float)) or self.error_score == "raise"):
            raise ValueError(f"error_score must be a number or 'raise'. Received: error_score={self.error_score!r}")
        self._check_candidate_space()

    def _member_seeds(self, n_candidates: int, n_splits: int) -> np.ndarray:
        random_state = self.random_state
        if isinstance(random_state, np.random.RandomState):
            random_state = int(random_state.randint(2**31 - 1))
        if random_state is None:
            random_state = backend.next_seed()
        return np.array(
            [[member_seed(random_state, c, f) for f in range(n_splits)] for c in range(n_candidates)], dtype=np.int64
        )

    # ------------------------------------------------------------------ training
    def _train_members(self, candidates, splits, seeds, X, y, fit_params):
        """Builds every member, trains the groups of one structure together; returns the
        fitted estimators, fit times and errors, indexed [candidate][fold]."""
        n_c, n_f = len(candidates), len(splits)
        fitted: list[list[Any]] = [[None] * n_f for _ in range(n_c)]
        times = np.zeros((n_c, n_f))
        errors: list[list[Any]] = [[None] * n_f for _ in range(n_c)]
        X_fit, targets = clone(self.estimator).training_data(X, y)
        groups: dict[tuple, list[tuple[int, int, Any, Member, dict]]] = {}
        for c, candidate in enumerate(candidates):
            estimator = clone(self.estimator).set_params(**candidate)
            for f, (train, _) in enumerate(splits):
                try:
                    arguments = estimator.fit_arguments(fit_params)
                    member = prepare_member(estimator.build_model, int(seeds[c, f]), train)
                    model_targets = estimator.model_targets(member.model, targets)
                    InputPreparer(member.model).prepare(X_fit[:2], model_targets[:2], need_y=True, what="fit")
                    key = (structure_key(member.model), len(train), _arguments_key(arguments))
                except Exception as err:  # noqa: BLE001 - a candidate that cannot be built gets error_score
                    if self.error_score == "raise":
                        raise
                    errors[c][f] = err
                    continue
                groups.setdefault(key, []).append((c, f, estimator, member, arguments))
        for group in _pad_widths(groups, X_fit, targets):
            self._train_group(group, X_fit, targets, X, y, fit_params, fitted, times, errors)
        return fitted, times, errors

    def _train_group(self, group, X_fit, targets, X, y, fit_params, fitted, times, errors) -> None:
        """Trains one group in one program, or member by member when it cannot be vectorized."""
        first_estimator, first_member, arguments = group[0][2], group[0][3], group[0][4]
        if self.verbose > 0:
            print(f"[jeras.tuning] training {len(group)} members of one structure together")
        try:
            model_targets = first_estimator.model_targets(first_member.model, targets)
            model_arguments = first_estimator.model_fit_arguments(first_member.model, arguments)
            results = fit_members([m for _, _, _, m, _ in group], X_fit, model_targets, model_arguments)
        except NotVectorizable as reason:
            if self.verbose > 0:
                print(f"[jeras.tuning] one by one: {reason}")
            results = None
        for i, (c, f, estimator, member, _) in enumerate(group):
            rows = member.rows
            start = time.perf_counter()
            try:
                if results is not None:
                    # A padded member is scored with its padded model: the same outputs and loss
                    # as its own model (jeras.tuning.padding), and the group's compiled programs.
                    model = results[i].model
                    fitted[c][f] = clone(estimator).adopt(model, results[i].history, X_fit[rows], _take(y, rows))
                    times[c, f] = results[i].seconds
                    continue
                if member.narrow is not None:
                    raise RuntimeError("a member padded to a wider model could not be trained on the device")
                backend.set_random_seed(int(self.member_seeds_[c, f]))
                solo = clone(estimator)
                solo.fit(_take(X, rows), _take(y, rows), **fit_params)  # tf.keras 2 wrappers return the History
                fitted[c][f] = solo
            except Exception as err:  # noqa: BLE001 - a diverging or failing member gets error_score
                if self.error_score == "raise":
                    raise
                errors[c][f] = err
            times[c, f] = time.perf_counter() - start

    # ------------------------------------------------------------------ scoring
    def _score_members(self, candidates, splits, fitted, errors, scorer, X, y):
        n_c, n_f = len(candidates), len(splits)
        test = np.full((n_c, n_f), np.nan)
        train_scores = np.full((n_c, n_f), np.nan) if self.return_train_score else None
        times = np.zeros((n_c, n_f))
        for c in range(n_c):
            for f, (train, held_out) in enumerate(splits):
                estimator = fitted[c][f]
                if estimator is None:
                    test[c, f] = self.error_score
                    if train_scores is not None:
                        train_scores[c, f] = self.error_score
                    self._warn_failure(candidates[c], errors[c][f])
                    continue
                start = time.perf_counter()
                test[c, f] = self._score(scorer, estimator, X, y, held_out, candidates[c])
                times[c, f] = time.perf_counter() - start
                if train_scores is not None:
                    train_scores[c, f] = self._score(scorer, estimator, X, y, train, candidates[c])
        return test, train_scores, times

    def _score(self, scorer, estimator, X, y, rows, candidate) -> float:
        try:
            value = float(scorer(estimator, _take(X, rows), _take(y, rows)))
        except Exception as err:  # noqa: BLE001
            if self.error_score == "raise":
                raise
            self._warn_failure(candidate, err)
            return float(self.error_score)
        if not math.isfinite(value):
            if self.error_score == "raise":
                raise ValueError(f"The score of candidate {candidate} is not finite. Received: score={value}")
            self._warn_failure(candidate, f"a non-finite score ({value}): training diverged")
            return float(self.error_score)
        return value

    @staticmethod
    def _warn_failure(candidate, error) -> None:
        warnings.warn(f"A fit of candidate {candidate} failed and gets error_score: {error}", UserWarning, stacklevel=4)

    # ------------------------------------------------------------------ results
    def _results(self, candidates, test, train, fit_times, score_times) -> dict[str, Any]:
        results: dict[str, Any] = {
            "mean_fit_time": fit_times.mean(axis=1),
            "std_fit_time": fit_times.std(axis=1),
            "mean_score_time": score_times.mean(axis=1),
            "std_score_time": score_times.std(axis=1),
        }
        names = sorted({name for candidate in candidates for name in candidate})
        for name in names:
            column = np.ma.MaskedArray(np.empty(len(candidates), dtype=object), mask=True)
            for i, candidate in enumerate(candidates):
                if name in candidate:
                    column[i] = candidate[name]
            results[f"param_{name}"] = column
        results["params"] = list(candidates)
        for kind, scores in (("test", test), ("train", train)):
            if scores is None:
                continue
            for f in range(scores.shape[1]):
                results[f"split{f}_{kind}_score"] = scores[:, f]
            results[f"mean_{kind}_score"] = scores.mean(axis=1)
            results[f"std_{kind}_score"] = scores.std(axis=1)
            if kind == "test":
                results["rank_test_score"] = _rank(results["mean_test_score"])
        return results

    # ------------------------------------------------------------------ the refitted estimator
    def _best(self):
        if not self.refit or not hasattr(self, "best_estimator_"):
            raise AttributeError("This search was fitted with refit=False: it has no best_estimator_ to predict with.")
        return self.best_estimator_

    def predict(self, X):
        """Predicts with the best estimator refitted on all the data."""
        return self._best().predict(X)

    def predict_proba(self, X):
        return self._best().predict_proba(X)

    def score(self, X, y=None):
        """The search's scorer applied to the best estimator."""
        return self.scorer_(self._best(), X, y)


class GridSearchCV(BaseSearchCV):
    """Exhaustive search over `param_grid`, with scikit-learn's arguments (see `BaseSearchCV`).

    Args:
        estimator: a jeras scikit-learn wrapper (`keras.wrappers.scikit_learn.KerasRegressor`...).
        param_grid: a dict of parameter name -> list of values, or a list of such dicts.
        scoring: None (the estimator's `score`), a scorer name, or a callable.
        n_jobs: accepted for compatibility; members train together in one process.
        refit: refit the best candidate on all the data. Default True.
        cv: folds: an int, a splitter, or an iterable of splits. Default 5 (scikit-learn's).
        verbose: 1 prints what is trained. Default 0.
        random_state: seeds the members' initialization and training (jeras' addition).
        error_score: the score of a failed or diverged fit, or "raise". Default NaN.
        return_train_score: also score the training folds. Default False.
    """

    def __init__(self, estimator, param_grid, **kwargs):
        super().__init__(estimator, **kwargs)
        self.param_grid = param_grid

    def _check_candidate_space(self) -> None:
        _check_space(self.param_grid, argument="param_grid", grid=True)

    def _candidates(self) -> list[dict[str, Any]]:
        return list(ParameterGrid(self.param_grid))


class RandomizedSearchCV(BaseSearchCV):
    """Randomized search: `n_iter` candidates drawn from `param_distributions` as scikit-learn draws them.

    Args:
        estimator: a jeras scikit-learn wrapper.
        param_distributions: a dict of parameter name -> list of values or a distribution with
            `rvs` (`scipy.stats.reciprocal(3e-4, 3e-2)`), or a list of such dicts.
        n_iter: the number of candidates. Default 10.
        random_state: seeds the draws (the same candidates as scikit-learn's search for the same
            value) and the members' initialization and training.
        **kwargs: scoring, n_jobs, refit, cv, verbose, error_score, return_train_score (see `GridSearchCV`).
    """

    def __init__(self, estimator, param_distributions, *, n_iter=10, **kwargs):
        super().__init__(estimator, **kwargs)
        self.param_distributions = param_distributions
        self.n_iter = n_iter

    def _check_candidate_space(self) -> None:
        if isinstance(self.n_iter, bool) or not isinstance(self.n_iter, Integral) or self.n_iter < 1:
            raise ValueError(f"n_iter must be a positive integer. Received: n_iter={self.n_iter!r}")
        size = _check_space(self.param_distributions, argument="param_distributions", grid=False)
        if size is not None and self.n_iter > size:
            raise ValueError(
                f"n_iter={self.n_iter} asks for more candidates than the {size} combinations param_distributions "
                f"holds (all its entries are lists); lower n_iter or use GridSearchCV. Received: n_iter={self.n_iter}"
            )

    def _candidates(self) -> list[dict[str, Any]]:
        return list(ParameterSampler(self.param_distributions, self.n_iter, random_state=self.random_state))


def _check_space(space, *, argument: str, grid: bool) -> int | None:
    """Checks a grid or distribution space; returns its number of combinations when every entry is a list."""
    spaces = space if isinstance(space, (list, tuple)) else [space]
    if not spaces:
        raise ValueError(f"{argument} must not be empty. Received: {argument}={space!r}")
    total: int | None = 0
    for item in spaces:
        if not isinstance(item, Mapping):
            raise TypeError(f"{argument} must be a dict (or a list of dicts). Received: {argument}={space!r}")
        size = 1
        for name, values in item.items():
            if not isinstance(name, str):
                raise TypeError(f"{argument} keys must be parameter names. Received: key {name!r}")
            if hasattr(values, "rvs") and not grid:
                size = None
                continue
            if isinstance(values, (str, bytes)) or not isinstance(values, (Sequence, np.ndarray)):
                kind = "a list of values" + ("" if grid else " or a distribution with an rvs method")
                raise ValueError(f"{argument}[{name!r}] must be {kind}. Received: {argument}[{name!r}]={values!r}")
            if len(values) == 0:
                raise ValueError(f"{argument}[{name!r}] must not be empty. Received: {argument}[{name!r}]={values!r}")
            if size is not None:
                size *= len(values)
        total = None if (total is None or size is None) else total + size
    return total


def _pad_widths(groups: dict, X_fit, targets) -> list:
    """Merges the groups of MLPs that differ only in hidden widths (`jeras.tuning.padding`):
    each member is replaced by a copy padded to the widest member of its merged group."""
    merged: dict[tuple, list] = {}
    for key, group in groups.items():
        model = group[0][3].model
        widths = hidden_widths(model)
        if widths is None:
            merged[("own", key)] = group
            continue
        probe = padded_copy(model, (1,) * len(widths), embed=False)
        InputPreparer(probe).prepare(X_fit[:2], group[0][2].model_targets(probe, targets)[:2], need_y=True, what="fit")
        merged.setdefault(("padded", structure_key(probe), key[1], key[2]), []).extend(group)
    out = []
    for key, group in merged.items():
        if key[0] == "own" or len({hidden_widths(entry[3].model) for entry in group}) == 1:
            out.append(group)
            continue
        widest = tuple(max(w) for w in zip(*(hidden_widths(entry[3].model) for entry in group)))
        padded = []
        for c, f, estimator, member, arguments in group:
            wide = padded_copy(member.model, widest)
            InputPreparer(wide).prepare(X_fit[:2], estimator.model_targets(wide, targets)[:2], need_y=True, what="fit")
            padded.append((c, f, estimator, Member(wide, member.rows, member.run_seed, narrow=member.model), arguments))
        out.append(padded)
    return out


def _arguments_key(arguments: Mapping[str, Any]) -> tuple:
    """What of the fit arguments must be equal for members to train together."""
    out = []
    for name in sorted(arguments):
        value = arguments[name]
        if name == "callbacks":
            value = tuple((type(cb), tuple(sorted(cb.get_config().items(), key=str))) for cb in value or [])
        elif name == "validation_data":
            value = tuple(id(v) for v in value) if value is not None else None
        elif isinstance(value, np.ndarray):
            value = ("array", id(value))
        out.append((name, repr(value) if not isinstance(value, tuple) else value))
    return tuple(out)


def _take(data, rows):
    if data is None:
        return None
    if isinstance(data, (list, tuple)) and data and hasattr(data[0], "shape"):
        return [np.asarray(d)[rows] for d in data]
    return np.asarray(data)[rows]


def _rank(scores: np.ndarray) -> np.ndarray:
    """Ranks as scikit-learn does: 1 is best, ties share the lowest rank, NaN scores rank last."""
    filled = np.where(np.isnan(scores), -np.inf, scores)
    order = np.argsort(-filled, kind="stable")
    ranks = np.empty(len(scores), dtype=np.int32)
    for position, index in enumerate(order):
        ranks[index] = position + 1
    for index in range(len(scores)):
        ties = filled == filled[index]
        ranks[index] = ranks[ties].min()
    return ranks


class HalvingRandomSearchCV(BaseSearchCV):
    """Successive halving over epochs: many candidates, the worst cut at each rung, the
    survivors continuing to train where they stopped.

    The arguments are scikit-learn's `HalvingRandomSearchCV` ones. The resource is the number
    of epochs (`resource="epochs"`, the only one; scikit-learn's default, "n_samples", retrains
    every rung from scratch, which is what jeras avoids). Rung `i` trains the surviving
    candidates on every fold up to `min_resources * factor**i` epochs and keeps the best
    `ceil(n / factor)`. Because every epoch's randomness derives from the member's seed and
    the epoch number, a survivor that continues from rung to rung ends exactly as if it had
    been trained for that many epochs at once; the members cut are masked, so every rung runs
    the same compiled programs.

    Args:
        estimator: a jeras scikit-learn wrapper.
        param_distributions: as `RandomizedSearchCV`.
        n_candidates: candidates of the first rung, or "exhaust" (`max_resources // min_resources`).
        factor: the proportion cut at each rung (1 / factor survive). Default 3.
        resource: "epochs". max_resources: the epochs of the last rung; "auto" takes the
            `epochs` passed to `fit`. min_resources: the epochs of the first rung; "smallest"
            is 1, "exhaust" the number that makes the last rung use `max_resources`.
        aggressive_elimination: run enough rungs to end with few candidates even when
            resources run short, as scikit-learn does. Default False.
        **kwargs: cv (default 5), scoring, refit, error_score, return_train_score (default
            True, as scikit-learn's halving searches), random_state, n_jobs, verbose.

    Attributes (besides the common ones): `n_resources_`, `n_candidates_`,
    `n_remaining_candidates_`, `max_resources_`, `min_resources_`, `n_iterations_`,
    `n_possible_iterations_`, `n_required_iterations_`; `cv_results_` has `iter` and `n_resources`.
    """

    def __init__(
        self,
        estimator,
        param_distributions,
        *,
        n_candidates="exhaust",
        factor=3,
        resource="epochs",
        max_resources="auto",
        min_resources="smallest",
        aggressive_elimination=False,
        cv=5,
        return_train_score=True,
        **kwargs,
    ):
        super().__init__(estimator, cv=cv, return_train_score=return_train_score, **kwargs)
        self.param_distributions = param_distributions
        self.n_candidates = n_candidates
        self.factor = factor
        self.resource = resource
        self.max_resources = max_resources
        self.min_resources = min_resources
        self.aggressive_elimination = aggressive_elimination

    def _check_candidate_space(self) -> None:
        _check_space(self.param_distributions, argument="param_distributions", grid=False)
        if self.resource != "epochs":
            raise ValueError(
                "jeras' HalvingRandomSearchCV spends epochs (resource='epochs'): survivors continue training. "
                f"For other resources use scikit-learn's HalvingRandomSearchCV. Received: resource={self.resource!r}"
            )
        if isinstance(self.factor, bool) or not isinstance(self.factor, (int, float)) or self.factor <= 1:
            raise ValueError(f"factor must be a number greater than 1. Received: factor={self.factor!r}")
        for name in ("n_candidates", "min_resources", "max_resources"):
            value = getattr(self, name)
            allowed = {
                "n_candidates": ("exhaust",),
                "min_resources": ("smallest", "exhaust"),
                "max_resources": ("auto",),
            }
            if value in allowed[name]:
                continue
            if isinstance(value, bool) or not isinstance(value, Integral) or value < 1:
                raise ValueError(
                    f"{name} must be a positive integer or one of {allowed[name]}. Received: {name}={value!r}"
                )

    def _schedule(self, epochs: int) -> None:
        """Works out the rungs as scikit-learn's halving search does, with epochs as the resource."""
        factor = self.factor
        self.max_resources_ = epochs if self.max_resources == "auto" else int(self.max_resources)
        if self.n_candidates == "exhaust" and self.min_resources == "exhaust":
            raise ValueError("n_candidates and min_resources cannot both be 'exhaust'. Received: both 'exhaust'")
        if self.min_resources == "smallest":
            self.min_resources_ = 1
        elif self.min_resources == "exhaust":
            n_required = 1 + math.floor(math.log(int(self.n_candidates), factor))
            self.min_resources_ = max(1, int(self.max_resources_ // factor ** (n_required - 1)))
        else:
            self.min_resources_ = int(self.min_resources)
        if self.min_resources_ > self.max_resources_:
            raise ValueError(
                f"min_resources ({self.min_resources_} epochs) exceeds max_resources ({self.max_resources_}). "
                f"Received: min_resources={self.min_resources!r}, max_resources={self.max_resources!r}"
            )
        n_candidates = (
            self.max_resources_ // self.min_resources_ if self.n_candidates == "exhaust" else int(self.n_candidates)
        )
        self._first_candidates = max(1, n_candidates)
        self.n_required_iterations_ = 1 + math.floor(math.log(self._first_candidates, factor))
        self.n_possible_iterations_ = 1 + math.floor(math.log(self.max_resources_ // self.min_resources_, factor))
        if self.aggressive_elimination:
            self.n_iterations_ = self.n_required_iterations_
        else:
            self.n_iterations_ = min(self.n_possible_iterations_, self.n_required_iterations_)

    def _candidates(self) -> list[dict[str, Any]]:
        return list(ParameterSampler(self.param_distributions, self._first_candidates, random_state=self.random_state))

    def fit(self, X, y=None, *, groups=None, **fit_params):
        """Runs the rungs (see the class docstring); `fit_params["epochs"]` is the last rung's budget."""
        self._check_arguments()
        if self.max_resources == "auto" and "epochs" not in fit_params:
            raise ValueError(
                "max_resources='auto' takes the epochs of the last rung from fit(..., epochs=N). Received: no epochs"
            )
        self._schedule(int(fit_params.get("epochs", self.max_resources)))
        candidates = self._candidates()
        X_all, y_all = np.asarray(X), None if y is None else np.asarray(y)
        splits = list(check_cv(self.cv, y_all, classifier=is_classifier(self.estimator)).split(X_all, y_all, groups))
        self.n_splits_ = len(splits)
        scorer = check_scoring(self.estimator, scoring=self.scoring)
        seeds = self.member_seeds_ = self._member_seeds(len(candidates), len(splits))
        budget = {**fit_params, "epochs": self.max_resources_}
        rungs = _Rungs(self, candidates, splits, seeds, X_all, y_all, budget)
        alive = list(range(len(candidates)))
        rows, self.n_resources_, self.n_candidates_ = [], [], []
        for itr in range(self.n_iterations_):
            power = itr
            if self.aggressive_elimination:
                power = max(0, itr - self.n_required_iterations_ + self.n_possible_iterations_)
            epochs = min(int(self.factor**power * self.min_resources_), self.max_resources_)
            self.n_resources_.append(epochs)
            self.n_candidates_.append(len(alive))
            if self.verbose > 0:
                print(f"iter: {itr}, n_candidates: {len(alive)}, n_resources (epochs): {epochs}")
            fitted, times = rungs.train(alive, epochs)
            test, train, score_times = self._score_members(
                [candidates[c] for c in alive], splits, fitted, rungs.errors_for(alive), scorer, X_all, y_all
            )
            for j, c in enumerate(alive):
                rows.append((itr, epochs, c, test[j], None if train is None else train[j], times[j], score_times[j]))
            keep = max(1, math.ceil(len(alive) / self.factor))
            order = np.argsort(-np.where(np.isnan(test.mean(axis=1)), -np.inf, test.mean(axis=1)), kind="stable")
            alive = [alive[j] for j in sorted(order[:keep])]
        self.n_remaining_candidates_ = len(alive)
        self.cv_results_ = self._halving_results(candidates, rows)
        last = np.flatnonzero(self.cv_results_["iter"] == self.n_iterations_ - 1)
        scores = self.cv_results_["mean_test_score"][last]
        self.best_index_ = int(last[np.argmax(np.where(np.isnan(scores), -np.inf, scores))])
        self.best_params_ = self.cv_results_["params"][self.best_index_]
        self.best_score_ = float(self.cv_results_["mean_test_score"][self.best_index_])
        self.scorer_ = scorer
        self.multimetric_ = False
        if self.refit:
            start = time.perf_counter()
            self.best_estimator_ = clone(self.estimator).set_params(**self.best_params_)
            self.best_estimator_.fit(X, y, **{**fit_params, "epochs": self.n_resources_[-1]})
            self.refit_time_ = time.perf_counter() - start
        return self

    def _halving_results(self, candidates, rows) -> dict[str, Any]:
        test = np.array([r[3] for r in rows])
        train = None if rows[0][4] is None else np.array([r[4] for r in rows])
        results = self._results(
            [candidates[r[2]] for r in rows],
            test,
            train,
            np.array([r[5] for r in rows]),
            np.array([r[6] for r in rows]),
        )
        results["iter"] = np.array([r[0] for r in rows])
        results["n_resources"] = np.array([r[1] for r in rows])
        return results


class _Rungs:
    """The members of a halving search, trained in stretches of epochs (one group per structure)."""

    def __init__(self, search: HalvingRandomSearchCV, candidates, splits, seeds, X, y, fit_params):
        from jeras.tuning.vectorized import VectorizedGroup

        self.search, self.splits = search, splits
        self.n_c, self.n_f = len(candidates), len(splits)
        self.errors: list[list[Any]] = [[None] * self.n_f for _ in range(self.n_c)]
        self.X_fit, targets = clone(search.estimator).training_data(X, y)
        self.y = y
        self.estimators = [clone(search.estimator).set_params(**c) for c in candidates]
        grouped: dict[tuple, list[tuple[int, int, Member]]] = {}
        arguments = {}
        for c, estimator in enumerate(self.estimators):
            arguments[c] = estimator.fit_arguments(fit_params)
            for f, (train, _) in enumerate(splits):
                try:
                    member = prepare_member(estimator.build_model, int(seeds[c, f]), train)
                    InputPreparer(member.model).prepare(
                        self.X_fit[:2], estimator.model_targets(member.model, targets)[:2], need_y=True, what="fit"
                    )
                    key = (structure_key(member.model), len(train), _arguments_key(arguments[c]))
                except Exception as err:  # noqa: BLE001 - a candidate that cannot be built gets error_score
                    if search.error_score == "raise":
                        raise
                    self.errors[c][f] = err
                    continue
                grouped.setdefault(key, []).append((c, f, member))
        self.groups = []
        for entries in grouped.values():
            c0, _, m0 = entries[0]
            est = self.estimators[c0]
            try:
                group = VectorizedGroup(
                    [m for _, _, m in entries],
                    self.X_fit,
                    est.model_targets(m0.model, targets),
                    est.model_fit_arguments(m0.model, arguments[c0]),
                )
            except NotVectorizable as reason:
                raise ValueError(
                    f"HalvingRandomSearchCV continues its members on the device from rung to rung, which this fit "
                    f"does not allow: {reason}. Received: fit arguments {sorted(fit_params)}"
                ) from None
            self.groups.append((entries, group))

    def errors_for(self, alive):
        return [self.errors[c] for c in alive]

    def train(self, alive, epochs):
        """Trains the alive candidates' members up to `epochs`; returns fitted estimators and times."""
        position = {c: j for j, c in enumerate(alive)}
        fitted = [[None] * self.n_f for _ in alive]
        times = np.zeros((len(alive), self.n_f))
        for entries, group in self.groups:
            active = np.array([c in position for c, _, _ in entries])
            if not active.any():
                continue
            results = group.run(epochs, active)
            for (c, f, member), result in zip(entries, results):
                if c not in position:
                    continue
                rows = member.rows
                estimator = clone(self.estimators[c]).adopt(
                    result.model, result.history, self.X_fit[rows], _take(self.y, rows)
                )
                fitted[position[c]][f] = estimator
                times[position[c], f] = result.seconds
        return fitted, times
