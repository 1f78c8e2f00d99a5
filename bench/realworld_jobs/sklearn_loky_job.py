"""scikit-learn across processes: the cross-validation of sklearn_job.py in
two loky worker processes (joblib passes X to them as a memory-mapped file
in /dev/shm)."""
import time

from sklearn.datasets import make_classification
from sklearn.ensemble import RandomForestClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import cross_val_score

if __name__ == "__main__":
    X, y = make_classification(n_samples=150_000, n_features=50, random_state=0)   # 60 MB
    clf = RandomForestClassifier(n_estimators=8, max_depth=10, n_jobs=2, random_state=0).fit(X, y)
    scores = cross_val_score(LogisticRegression(max_iter=20), X, y, cv=2, n_jobs=2)
    time.sleep(0.3)
    print(clf.score(X[:1000], y[:1000]), scores.mean())
