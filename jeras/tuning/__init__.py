"""Hyperparameter search that trains every candidate and fold at once (docs/architecture.md).

`GridSearchCV` and `RandomizedSearchCV` take scikit-learn's arguments and give its results;
inside, models of one structure train together in one compiled, vmapped program.
"""

from jeras.tuning.search import BaseSearchCV, GridSearchCV, HalvingRandomSearchCV, RandomizedSearchCV, member_seed

__all__ = ["BaseSearchCV", "GridSearchCV", "HalvingRandomSearchCV", "RandomizedSearchCV", "member_seed"]
