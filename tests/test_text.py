"""Word embeddings (text.*, models.skipgram): the objectives against Caliskan's formula and central differences,
the pairs' independence between units, the Skip-gram loss and Hessian against independent computations, `block`
against re-solving its restricted problem with one unit down-weighted, CG against a dense solve, and group removal
(a step without a set, the sets, their measured and predicted changes) against direct computations."""

import itertools

import numpy as np
import pandas as pd
import pytest
import scipy.optimize
import scipy.special
import tensorflow as tf

from influential.core.errors import InputError
from influential.data import corpus
from influential.derivatives.autodiff import HessianOperator, loss_hessian, per_example_gradients
from influential.models.skipgram import SkipGram
from influential.text import estimators, groups, objectives, pairs
from influential.training import adam

SENTENCES = [
    "the cat sat on the mat",
    "the dog sat on the log",
    "a cat and a dog met on the mat",
    "the log was under the dog",
    "",
    "a mat and a log",
    "the cat saw the dog and the dog saw the cat",
    "on the log sat a cat",
]


@pytest.fixture(scope="module")
def small_corpus(tmp_path_factory) -> corpus.Corpus:
    path = tmp_path_factory.mktemp("text") / "animals.txt"
    path.write_text("\n".join(SENTENCES) + "\n")
    return corpus.build(corpus.read_text(path), 1, "sentence")


@pytest.fixture(scope="module")
def trained(small_corpus):
    """A Skip-gram model (dim 3) of the small corpus at a minimum of its training objective (BFGS)."""
    signal = pairs.generate(small_corpus, window=2, negatives=2, subsample=0.0, seed=3)
    model = SkipGram(len(small_corpus.vocabulary), 3, 1e-2, signal)
    units = model.units()
    labels = np.zeros(len(units), np.int32)

    def objective(theta):
        value = model.losses(theta, units, labels).mean() + model.regularizer_value(theta)
        gradient = model.loss_gradient(theta, units, labels, 100) + model.regularizer_gradient(theta)
        return value, gradient

    start = model.initial_params(0).astype(np.float64)
    start[model.n_params // 2 :] = np.random.default_rng(1).normal(0, 0.3, model.n_params // 2)
    theta = scipy.optimize.minimize(objective, start, jac=True, method="L-BFGS-B").x
    for _ in range(5):  # Newton's method to the minimum's last digits (a stationary point, as influence assumes)
        hessian = loss_hessian(model, theta, units, labels, 100) + model.l2 * np.eye(model.n_params)
        theta = theta - np.linalg.solve(hessian, objective(theta)[1])
    assert np.abs(objective(theta)[1]).max() < 1e-10
    return model, theta


def numpy_unit_losses(model, theta) -> np.ndarray:
    """Each unit's loss from its pairs, pair by pair."""
    u, w = model.input_vectors(theta), model.output_vectors(theta)
    p = model.pairs
    losses = np.zeros(p.n_units)
    for unit, c, o, negs in zip(p.unit_of_pair, p.centre, p.context, p.negatives, strict=True):
        losses[unit] += -np.log(scipy.special.expit(u[c] @ w[o])) - sum(
            np.log(scipy.special.expit(-u[c] @ w[n])) for n in negs
        )
    return losses / model.scale


def caliskan_effect_size(x, y, a, b) -> float:
    """Caliskan et al.'s formula, word by word."""

    def cos(p, q):
        return p @ q / np.linalg.norm(p) / np.linalg.norm(q)

    def s(w):
        return np.mean([cos(w, v) for v in a]) - np.mean([cos(w, v) for v in b])

    associations = [s(w) for w in list(x) + list(y)]
    return (np.mean([s(w) for w in x]) - np.mean([s(w) for w in y])) / np.std(associations, ddof=1)


def bound(kind: str, roles: list[list[str]], vocabulary, initial=None) -> objectives.WordObjective:
    record = {
        "name": kind,
        "kind": kind,
        "roles": [{"role": str(i), "words": words, "dropped": []} for i, words in enumerate(roles)],
    }
    return objectives.bind(record, vocabulary, initial)


VOCABULARY = np.array([f"w{i}" for i in range(12)])
OBJECTIVES = {
    "weat": [["w0", "w1", "w2"], ["w3", "w4"], ["w5", "w6"], ["w7", "w8", "w0"]],
    "distance": [["w2"], ["w9"]],
    "centroid_distance": [["w1"], ["w3", "w4", "w5"]],
    "movement": [["w10"]],
}


def test_weat_effect_size_is_caliskans_formula():
    e = np.random.default_rng(0).normal(size=(12, 5))
    weat = bound("weat", OBJECTIVES["weat"], VOCABULARY)
    x, y, a, b = ([e[int(w[1:])] for w in words] for words in OBJECTIVES["weat"])
    assert weat.value(e[weat.words]) == pytest.approx(caliskan_effect_size(x, y, a, b), rel=1e-12)
    # many models at once (the leading axis), as the stored retrained models are evaluated
    stacked = np.stack([e, 2 * e + 0.1])
    values = weat.value(stacked[:, weat.words])
    assert values[1] == pytest.approx(weat.value(stacked[1][weat.words]), rel=1e-12)


@pytest.mark.parametrize("kind", sorted(OBJECTIVES))
def test_objective_gradient_matches_central_differences(kind):
    rng = np.random.default_rng(1)
    initial = rng.normal(size=(12, 4))
    objective = bound(kind, OBJECTIVES[kind], VOCABULARY, initial)
    e = rng.normal(size=(len(objective.words), 4))
    step, numeric = 1e-6, np.zeros_like(e)
    for index in itertools.product(*map(range, e.shape)):
        shift = np.zeros_like(e)
        shift[index] = step
        numeric[index] = (objective.value(e + shift) - objective.value(e - shift)) / (2 * step)
    np.testing.assert_allclose(objective.gradient(e), numeric, rtol=1e-6, atol=1e-8)


def test_missing_words_are_dropped_and_a_set_left_too_small_stops_with_its_name():
    vocabulary = np.array(["he", "she", "him", "her", "home", "family", "office", "salary"])
    config = {"name": "bias", "kind": "weat", "targets": [["he", "him", "boy"], ["she", "her"]]}
    record = objectives.resolve({**config, "attributes": [["office", "career", "salary"], "family"]}, vocabulary)
    assert record["roles"][0] == {"role": "objective bias: targets[0]", "words": ["he", "him"], "dropped": ["boy"]}
    assert record["roles"][3]["words"] == ["home", "family"]  # the standard set's words the vocabulary has
    with pytest.raises(InputError, match=r"^objective bias: attributes\[0\]: 1 of its words in the vocabulary"):
        objectives.resolve({**config, "attributes": [["office", "career", "wage"], "family"]}, vocabulary)
    with pytest.raises(InputError, match="objective near: words\\[1\\]: 0 of its words"):
        objectives.resolve({"name": "near", "kind": "distance", "words": ["he", "boy"]}, vocabulary)


def test_pairs_lie_within_the_window_of_one_sentence(small_corpus):
    signal = pairs.generate(small_corpus, window=2, negatives=3, subsample=0.0, seed=0)
    expected = []
    for unit in range(small_corpus.n_units):
        for words in small_corpus.unit_sentences(unit):
            expected += [
                (unit, words[i], words[j]) for i in range(len(words)) for j in range(len(words)) if 0 < abs(i - j) <= 2
            ]
    got = list(zip(signal.unit_of_pair, signal.centre, signal.context, strict=True))
    assert sorted(map(tuple, np.array(got).tolist())) == sorted(map(tuple, np.array(expected).tolist()))
    assert signal.negatives.shape == (len(got), 3)
    assert signal.n_empty == 0


@pytest.mark.parametrize("subsample", [0.0, 0.05])
def test_a_units_pairs_and_negatives_do_not_depend_on_the_other_units(small_corpus, subsample):
    everything = pairs.generate(small_corpus, 2, 4, subsample, seed=7)
    some = [1, 4, 5]
    alone = pairs.generate(small_corpus, 2, 4, subsample, seed=7, units=some)
    for position, unit in enumerate(some):
        own = slice(everything.unit_offsets[unit], everything.unit_offsets[unit + 1])
        mine = slice(alone.unit_offsets[position], alone.unit_offsets[position + 1])
        for field in ("centre", "context", "negatives"):
            np.testing.assert_array_equal(getattr(everything, field)[own], getattr(alone, field)[mine])
    if subsample:  # "the" and "a" are frequent enough to be dropped sometimes
        assert len(everything.centre) < len(pairs.generate(small_corpus, 2, 4, 0.0, seed=7).centre)


def test_skipgram_losses_and_hessian_against_independent_computations(trained):
    model, theta = trained
    units = model.units()
    np.testing.assert_allclose(model.losses(theta, units, units), numpy_unit_losses(model, theta), rtol=1e-10)
    v = np.random.default_rng(2).normal(size=model.n_params)
    by_autodiff = HessianOperator(model, theta, units, units, 0.3, 4)(v)
    np.testing.assert_allclose(model.hessian_operator(theta, units, units, 0.3, 4)(v), by_autodiff, rtol=1e-9)


def test_block_is_the_derivative_of_its_refitted_restricted_problem(trained, small_corpus):
    """`block` predicts the change of the objective when the words' input vectors alone are refitted without a unit;
    linearised, that is minus the derivative of the refitted objective in the unit's weight (-1 = left out)."""
    model, theta = trained
    units, n = model.units(), model.pairs.n_units
    vocabulary = small_corpus.vocabulary
    objective = bound("distance", [["cat"], ["dog"]], vocabulary)
    rows = model.input_vectors(np.arange(model.n_params))[objective.words].ravel()
    linear, shifted, _ = estimators.predict("block", model, theta, objective, {"damping": 0.0})

    def refitted(unit, weight):
        """The objective after the words' input vectors are refitted with the unit weighted (the other parameters
        fixed): a root of the restricted gradient, by automatic differentiation."""

        def gradient(x):
            full = theta.copy()
            full[rows] = x
            total = model.loss_gradient(full, units, units, 100) + model.regularizer_gradient(full)
            total += (weight - 1) / n * model.loss_gradient(full, units[[unit]], units[[unit]], 1)
            return total[rows]

        x = scipy.optimize.root(gradient, theta[rows], tol=1e-14).x
        return objective.value(x.reshape(len(objective.words), model.dim))

    for unit in (0, 2, 6):
        step = 1e-4
        derivative = (refitted(unit, 1 + step) - refitted(unit, 1 - step)) / (2 * step)
        assert linear[unit] == pytest.approx(-derivative, rel=1e-6)
    # shifted: the objective at the vectors moved by (1/n) H^-1 grad r_z, H and grad from automatic differentiation
    moves = dense_moves(model, theta, 0.0, rows)
    vectors = model.input_vectors(theta)[objective.words]
    moved = objective.value(vectors + moves.reshape(n, *vectors.shape)) - objective.value(vectors)
    np.testing.assert_allclose(shifted, moved, rtol=1e-8)


def dense_moves(model, theta, damping: float, rows: np.ndarray) -> np.ndarray:
    """Each unit's predicted move of the parameters `rows` if it is left out, with the others fixed, (n, len(rows)):
    the damped Hessian and the units' gradients from automatic differentiation, formed whole, and a dense solve."""
    units = model.units()
    hessian = loss_hessian(model, theta, units, units, 100)[np.ix_(rows, rows)]
    hessian += (model.l2 + damping) * np.eye(len(rows))
    unit_gradients = per_example_gradients(model, theta, units, units, 100)[:, rows]
    return np.linalg.solve(hessian, unit_gradients.T).T / len(units)


def dense_prediction(model, theta, objective, damping: float, rows=None) -> np.ndarray:
    """Each unit's predicted change of the objective, linear, with the parameters `rows` (all by default) free."""
    rows = np.arange(model.n_params) if rows is None else rows
    gradient = np.zeros(model.n_params)
    words = model.input_vectors(np.arange(model.n_params))[objective.words]
    gradient[words.ravel()] = objective.gradient(model.input_vectors(theta)[objective.words]).ravel()
    return dense_moves(model, theta, damping, rows) @ gradient[rows]


def test_cg_and_lissa_are_the_dense_solve_of_the_whole_model(trained, small_corpus):
    model, theta = trained
    units, damping = model.units(), 0.01
    objective = bound("weat", [["cat", "mat"], ["dog", "log"], ["sat", "on"], ["saw", "met"]], small_corpus.vocabulary)
    expected = dense_prediction(model, theta, objective, damping)
    settings = {"damping": damping, "batch_size": 4, "cg": {"tol": 1e-12, "max_iter": 500}}
    linear, shifted, facts = estimators.predict("cg", model, theta, objective, settings)
    np.testing.assert_allclose(linear, expected, rtol=1e-6, atol=1e-12)
    assert np.isnan(shifted).all() and facts["converged"]
    # LiSSA sampling every unit each step is Richardson's iteration on the damped system: the same solve once
    # it has converged (a scale above the largest eigenvalue, enough steps for the smallest, l2 + damping)
    largest = np.linalg.eigvalsh(loss_hessian(model, theta, units, units, 100)).max() + model.l2 + damping
    lissa = {"scale": 1.2 * largest, "depth": 4000, "repeats": 1, "batch_size": len(units), "seed": 0}
    linear, _, facts = estimators.predict("lissa", model, theta, objective, {**settings, "lissa": lissa})
    np.testing.assert_allclose(linear, expected, rtol=1e-6, atol=1e-12)
    assert facts["relative_residual"] < 1e-8


def test_exact_frees_the_coupled_output_vectors_and_without_them_is_block(trained, small_corpus):
    """`exact` over the objective's words' input vectors alone is `block`, bit for bit in effect; with every output
    vector free it is the dense solve over those parameters (automatic differentiation's Hessian, formed whole)."""
    model, theta = trained
    objective = bound("distance", [["cat"], ["dog"]], small_corpus.vocabulary)
    damping = 0.01
    by_block = estimators.predict("block", model, theta, objective, {"damping": damping})
    alone = estimators.predict("exact", model, theta, objective, {"damping": damping, "exact": {"output_words": 0}})
    for got, expected in zip(alone[:2], by_block[:2], strict=True):
        np.testing.assert_allclose(got, expected, rtol=1e-12)
    assert alone[2]["output_words"] == 0
    every = model.vocabulary_size
    linear, shifted, facts = estimators.predict(
        "exact", model, theta, objective, {"damping": damping, "exact": {"output_words": every}}
    )
    inputs = model.input_vectors(np.arange(model.n_params))[objective.words].ravel()
    rows = np.concatenate([inputs, np.arange(model.n_params // 2, model.n_params)])
    np.testing.assert_allclose(linear, dense_prediction(model, theta, objective, damping, rows), rtol=1e-8)
    assert 0 < facts["output_words"] <= every and not np.allclose(linear, by_block[0], rtol=1e-3)
    vectors = model.input_vectors(theta)[objective.words]
    moves = dense_moves(model, theta, damping, rows)[:, : len(inputs)].reshape(-1, *vectors.shape)
    np.testing.assert_allclose(shifted, objective.value(vectors + moves) - objective.value(vectors), rtol=1e-8)


def test_a_step_without_a_set_follows_the_gradient_of_the_rest_of_its_minibatch(trained):
    """adam.stacked_step with a row of left-out units: its gradient is that of the mean loss over the minibatch's
    other units (computed on those units alone) plus the regulariser; the control's is the whole minibatch's."""
    model, theta = trained
    units = model.units()
    batch, removed = np.array([0, 2, 3, 5, 6]), [2, 6, adam.NOTHING_LEFT_OUT]
    left_out = np.array([removed, [adam.NOTHING_LEFT_OUT] * 3])
    thetas = np.tile(theta, (2, 1))
    zeros = tf.zeros_like(thetas)
    *_, gradient = adam.stacked_step(model)(
        tf.constant(thetas), zeros, zeros, tf.constant(0), units, units, tf.constant(batch), left_out, 0.01
    )
    kept = np.array([0, 3, 5])
    for row, chosen in ((0, kept), (1, batch)):
        expected = model.loss_gradient(theta, units[chosen], units[chosen], 100) + model.regularizer_gradient(theta)
        np.testing.assert_allclose(gradient.numpy()[row], expected, rtol=1e-10, atol=1e-14)


def predicted_table(values: dict[str, np.ndarray]):
    return pd.concat(
        [
            pd.DataFrame(
                {"estimator": "block", "test": name, "train_position": np.arange(len(v)), "predicted_change": v}
            )
            for name, v in values.items()
        ],
        ignore_index=True,
    )


def test_group_sets_are_the_top_units_each_way_and_random_sets_of_each_size():
    values = np.array([0.3, -0.5, 0.1, 0.9, -0.2, 0.0, -0.7, 0.4])
    predicted = predicted_table({"bias": values, "other": -values})
    sets = groups.select(predicted, [2, 3], 2, ["bias"], 5, len(values)).set_index("set")
    assert sets.loc["bias:increase:2", "units"].tolist() == [3, 7]
    assert sets.loc["bias:decrease:3", "units"].tolist() == [1, 4, 6]
    random = sets[sets["direction"] == "random"]
    assert random["size"].tolist() == [2, 2, 3, 3] and (random["selected_by"] == "").all()
    assert all(len(set(units)) == size for units, size in zip(random["units"], random["size"], strict=True))
    with pytest.raises(InputError, match=r"^groups.sizes: 8 units is not fewer than the corpus' 8 units$"):
        groups.select(predicted, [2, 8], 2, ["bias"], 5, len(values))


def test_group_changes_are_against_each_runs_own_control_and_predictions_are_sums(trained, small_corpus):
    """Actual changes recomputed from the stored vectors with Caliskan's formula, per seed against that seed's
    control; the linear prediction is the sum of the set's units'; block's shifted prediction of a one-unit set is
    its per-unit shifted prediction; vs_random and the agreement from the table's own columns."""
    model, theta = trained
    vocabulary = small_corpus.vocabulary
    roles = [["cat", "mat"], ["dog", "log"], ["sat", "on"], ["saw", "met"]]
    objective = bound("weat", roles, vocabulary)
    linear, shifted, _ = estimators.predict("block", model, theta, objective, {"damping": 0.0})
    predicted = predicted_table({"weat": linear})
    sets = groups.select(predicted, [1, 2], 1, ["weat"], 0, model.pairs.n_units)
    rng = np.random.default_rng(0)
    base = model.input_vectors(theta)
    runs = []
    for seed in (0, 1):
        for name in [*sets["set"], groups.CONTROL]:
            vectors = base + rng.normal(0, 0.05, base.shape)
            runs.append({"protocol": "reset", "seed": seed, "set": name, "input_vectors": vectors.ravel()})
    runs = pd.DataFrame(runs)
    actual = groups.actual_changes(runs, [objective], len(vocabulary), model.dim).set_index(["seed", "set"])

    def weat(row):
        u = row.input_vectors.reshape(len(vocabulary), model.dim)
        at = {w: u[list(vocabulary).index(w)] for role in roles for w in role}
        return caliskan_effect_size(*([at[w] for w in role] for role in roles))

    controls = {row.seed: weat(row) for row in runs[runs["set"] == groups.CONTROL].itertuples()}
    for row in runs[runs["set"] != groups.CONTROL].itertuples():
        expected = weat(row) - controls[row.seed]
        assert actual.loc[(row.seed, row.set), "actual_change"] == pytest.approx(expected, rel=1e-9)

    sums = groups.linear_predictions(sets, predicted).set_index("set")["predicted_change"]
    for name, units in zip(sets["set"], sets["units"], strict=True):
        assert sums[name] == pytest.approx(linear[units].sum(), rel=1e-12)
    single = sets[sets["size"] == 1]
    moved = estimators.group_shifted("block", model, theta, objective, single, {"damping": 0.0})
    np.testing.assert_allclose(moved["predicted_change"], [shifted[u[0]] for u in single["units"]], rtol=1e-10)

    table = groups.summary(
        sets,
        actual.reset_index(),
        pd.concat(
            [sums.reset_index().assign(estimator="block", objective="weat", evaluation="linear")], ignore_index=True
        ),
    )
    per_seed = actual.reset_index().groupby("set")["actual_change"]
    np.testing.assert_allclose(table.set_index("set").loc[sets["set"], "actual_mean"], per_seed.mean()[sets["set"]])
    np.testing.assert_allclose(table.set_index("set").loc[sets["set"], "actual_std"], per_seed.std()[sets["set"]])
    random = table[table["direction"] == "random"].set_index("size")["actual_mean"].abs()
    for row in table.itertuples():
        assert row.vs_random == pytest.approx(row.actual_mean / random[row.size], rel=1e-12)
    agreement = groups.agreement(table)
    assert agreement["sets"].tolist() == [len(sets)]
    r = np.corrcoef(table["predicted_change"], table["actual_mean"])[0, 1]
    assert agreement["pearson"].iloc[0] == pytest.approx(r) and agreement["r_squared"].iloc[0] == pytest.approx(r**2)


def test_tracin_sums_each_checkpoints_rate_times_unit_and_objective_gradients(small_corpus):
    """TracIn for a word objective against its definition: per checkpoint, every unit's loss gradient (automatic
    differentiation, formed whole) dotted with the objective's gradient, times the checkpoint's learning rate."""
    from influential.text.training import units_dataset
    from influential.training import fit
    from influential.training.optimizer import AdamSettings, AdamState

    signal = pairs.generate(small_corpus, window=2, negatives=2, subsample=0.0, seed=3)
    model = SkipGram(len(small_corpus.vocabulary), 3, 1e-2, signal)
    settings = AdamSettings(40, 4, 0.05, ((20, 0.5),), 0, 10, 10)
    start = model.initial_params(0)
    *_, trajectory = fit.fit_adam(model, units_dataset(model), settings, start, AdamState.zeros_like(start))
    objective = bound("distance", [["cat"], ["dog"]], small_corpus.vocabulary)
    linear, shifted, facts = estimators.predict(
        "tracin", model, trajectory.thetas[-1], objective, {"batch_size": 3, "tracin": {"checkpoints": 2}}, trajectory
    )
    assert facts["checkpoints"] == [10, 40] and np.isnan(shifted).all()
    units, expected = model.units(), np.zeros(model.pairs.n_units)
    for record, rate in ((1, 0.05), (4, 0.025)):  # steps 10 and 40 (the last: the rate of the last update, halved)
        theta = trajectory.thetas[record].astype(np.float64)
        gradient = np.zeros(model.n_params)
        rows = model.input_vectors(np.arange(model.n_params))[objective.words]
        gradient[rows.ravel()] = objective.gradient(model.input_vectors(theta)[objective.words]).ravel()
        expected += rate * per_example_gradients(model, theta, units, units, 100) @ gradient
    np.testing.assert_allclose(linear, expected, rtol=1e-8, atol=1e-14)


def test_hydra_for_words_is_minus_the_derivative_of_the_objective_by_a_units_weight(small_corpus):
    """HYDRA over the whole run against central differences of the objective after Adam runs that weigh one unit
    up and down in its minibatch means (written out in tests/test_trajectory.py)."""
    from influential.text.training import units_dataset
    from influential.training import fit
    from influential.training.optimizer import AdamSettings, AdamState
    from tests.test_trajectory import weighted_run

    signal = pairs.generate(small_corpus, window=2, negatives=2, subsample=0.0, seed=3)
    model, learning_rate = SkipGram(len(small_corpus.vocabulary), 3, 1e-2, signal), 0.05
    dataset = units_dataset(model)
    settings = AdamSettings(8, 3, learning_rate, seed=1, log_every=8, checkpoint_every=3)
    start = model.initial_params(0).astype(np.float64)
    *_, trajectory = fit.fit_adam(model, dataset, settings, start, AdamState.zeros_like(start))
    objective = bound("distance", [["cat"], ["dog"]], small_corpus.vocabulary)
    hydra = {"batch_size": 3, "hydra": {"window": "full", "segment": 100}}
    linear, shifted, facts = estimators.predict("hydra", model, trajectory.thetas[-1], objective, hydra, trajectory)
    assert facts["window"] == [0, 8] and np.isnan(shifted).all()

    def value(weight_of):
        theta = weighted_run(model, dataset, weight_of, 8, learning_rate, batch_size=3)
        return objective.value(model.input_vectors(theta)[objective.words])

    step = 1e-4
    for unit in (0, 2, 6):
        derivative = (value({unit: 1 + step}) - value({unit: 1 - step})) / (2 * step)
        assert linear[unit] == pytest.approx(-derivative, rel=1e-4, abs=1e-10), unit
    assert np.count_nonzero(linear) >= 5
