"""The bundled samples: they load through the real loaders, cover every criterion, their gold
answers agree with their prompts (that they are exactly what the generators write:
tests/tools/samplegen/test_make_samples.py)."""

from __future__ import annotations

import re
from collections import Counter

import pytest

from common.data import load_dataset
from common.data.alce import load_alce
from common.data.bundled import available_samples, bundled_path, samples_dir
from common.data.gsm8k import final_answer, load_gsm8k
from common.data.prompts import load_prompts
from common.data.shopbench import load_shopbench
from common.data.shopping_mmlu import load_shopping_mmlu

CRITERIA = {
    ("multiple-choice", "mc_accuracy"),
    ("retrieval", "hit_at_3"),
    ("ranking", "ndcg"),
    ("named_entity_recognition", "ner_f1"),
    ("generation", "sent_sim"),
    ("generation", "bleu4"),
    ("generation", "multilingual_sim"),
    ("generation", "rouge_l"),
}
NUMBERED = re.compile(r"^(\d+)\.\s?(.+)$")


@pytest.fixture(scope="module")
def shopping():
    return load_shopbench(bundled_path("shopping_sample"))


def by_metric(examples, metric):
    return [ex for ex in examples if ex.metric == metric]


def numbered_items(prompt: str, after: str | None = None) -> list[str]:
    text = prompt.split(after, 1)[1] if after else prompt
    return [m.group(2) for line in text.split("\n") if (m := NUMBERED.match(line))]


def test_files_are_small_and_listed():
    assert set(available_samples()) >= {
        "shopping_sample",
        "alce_sample",
        "prompts_sample",
        "ifeval_testbed_train",
        "ifeval_testbed_heldout",
        "gsm8k_train",
        "gsm8k_test",
        "ifeval",
    }
    for path in samples_dir().iterdir():  # every file ships in the wheel: keep them small
        assert path.stat().st_size < 300 * 1024, path.name
    with pytest.raises(FileNotFoundError, match="available: .*shopping_sample"):
        bundled_path("no_such_sample")


def test_every_criterion_has_40_rows(shopping):
    counts = Counter((ex.task_type, ex.metric) for ex in shopping)
    assert set(counts) == CRITERIA
    assert min(counts.values()) >= 40, counts
    assert {ex.meta["track"] for ex in shopping} <= {
        f"amazon-kdd-cup-24-{t}"
        for t in (
            "understanding-shopping-concepts",
            "shopping-knowledge-reasoning",
            "user-behavior-alignment",
            "multi-lingual-abilities",
        )
    }


def test_prompts_are_unique(shopping):
    assert len({ex.prompt for ex in shopping}) == len(shopping)


def test_shopping_mmlu_loader_reads_the_same_file(shopping):
    other = load_shopping_mmlu(bundled_path("shopping_sample"))
    assert [(e.prompt, e.gold, e.metric, e.task_name) for e in other] == [
        (e.prompt, e.gold, e.metric, e.task_name) for e in shopping
    ]


def test_multiple_choice_gold_within_choices(shopping):
    for ex in by_metric(shopping, "mc_accuracy"):
        choices = numbered_items(ex.prompt)
        assert ex.prompt.endswith("\nAnswer: ")
        assert 2 <= len(choices) and len(set(choices)) == len(choices)
        assert 0 <= ex.gold < len(choices) and ex.meta["is_multiple_choice"] is True
        # choices are numbered 0..n-1 in order
        nums = [
            int(NUMBERED.match(line).group(1))
            for line in ex.prompt.split("\n")
            if NUMBERED.match(line)
        ]
        assert nums == list(range(len(choices)))


def test_quantity_questions_are_arithmetic(shopping):
    for ex in shopping:
        if ex.task_name != "shop_total_quantity":
            continue
        m = re.search(r", ([\d.]+) (?:oz \(Pack of|Count, Pack of) (\d+)", ex.prompt)
        total = float(m.group(1)) * int(m.group(2))
        right = numbered_items(ex.prompt)[ex.gold]
        assert float(right.split()[0]) == pytest.approx(total)


def test_retrieval_gold_indices_within_list(shopping):
    for ex in by_metric(shopping, "hit_at_3"):
        items = numbered_items(ex.prompt, after="List: \n")
        assert len(ex.gold) == 3 and len(set(ex.gold)) == 3
        assert all(1 <= g <= len(items) for g in ex.gold)
        if ex.task_name == "shop_query_product_retrieval":
            query = re.search(r"searched for '([^']+)'", ex.prompt).group(1)
            picked = [items[g - 1] for g in ex.gold]
            assert all(t.split(",")[0].lower().endswith(query) for t in picked)
            assert sum(t.split(",")[0].lower().endswith(query) for t in items) == 3
        if ex.task_name == "shop_review_aspects":
            assert len(items) == 10 and len(set(items)) == 10


def test_ranking_gold_has_a_weight_per_candidate(shopping):
    for ex in by_metric(shopping, "ndcg"):
        products = numbered_items(ex.prompt, after="Product List: \n")
        assert len(products) == len(ex.gold) == 5
        assert set(ex.gold) <= {1, 0.1, 0.01, 0} and 1 in ex.gold
        query = re.search(r"query(?: with keyword)? '([^']+)'", ex.prompt).group(1)
        brand = query.split()[0]
        for title, weight in zip(products, ex.gold, strict=True):
            exact = title.lower().startswith(brand) and title.split(",")[0].lower().endswith(
                query.split(" ", 1)[1]
            )
            assert exact == (weight == 1), (title, weight, query)


def test_ner_gold_entities_appear_in_the_query(shopping):
    for ex in by_metric(shopping, "ner_f1"):
        query = re.search(r"\nQuery: (.+)\nOutput: ", ex.prompt).group(1)
        assert ex.gold and all(e in query for e in ex.gold), (query, ex.gold)


def test_keyphrases_are_spans_of_the_review(shopping):
    for ex in by_metric(shopping, "rouge_l"):
        review = re.search(r"\nReview: (.+)\nAspect: ", ex.prompt).group(1)
        assert ex.gold in review


def test_generation_golds_match_their_inputs(shopping):
    for ex in by_metric(shopping, "sent_sim"):
        line = ex.prompt.split("\nOutput:")[0].split("\n")[-1]
        name = line.removeprefix("Input: ").removeprefix("Explain the product type ")
        assert name.lower() in ex.gold.lower()
    for metric in ("bleu4", "multilingual_sim"):
        rows = by_metric(shopping, metric)
        assert {re.search(r"a\(n\) (\w+) online", ex.prompt).group(1) for ex in rows} == {
            "German",
            "Spanish",
            "French",
        }
        for ex in rows:
            title = re.search(r"entitled '([^']+)'", ex.prompt).group(1)
            brand = next(
                w
                for w in title.replace(",", " ").split()
                if w[0].isupper() and w.isalpha() and w in ex.gold
            )
            assert brand and ex.gold.strip() and "\n" not in ex.gold


def test_alce_sample(tmp_path):
    examples = load_alce(bundled_path("alce_sample"))
    counts = Counter(ex.metric for ex in examples)
    assert counts == {"alce_em_recall": 30, "alce_claim_recall": 30}
    for ex in examples:
        docs = ex.gold["docs"]
        assert 3 <= len(docs) <= 5
        cited = {int(k) for k in re.findall(r"\[(\d+)\]", ex.gold["answer"])}
        assert cited and all(1 <= k <= len(docs) for k in cited)
        if ex.metric == "alce_em_recall":
            for pair in ex.gold["qa_pairs"]:
                assert any(a in d["text"] for a in pair["short_answers"] for d in docs), pair
            assert len(ex.gold["qa_pairs"]) >= 2
        else:
            assert len(ex.gold["claims"]) == 3
            assert len(cited) < len(docs)  # at least one distractor is never cited


def test_bundled_gsm8k():
    train = load_gsm8k(bundled_path("gsm8k_train"))
    test = load_gsm8k(bundled_path("gsm8k_test"))
    assert (len(train), len(test)) == (7473, 1319)
    assert not {ex.prompt for ex in train} & {ex.prompt for ex in test}
    for ex in train[:50] + test[:50]:
        assert final_answer(ex.meta["solution"]) == ex.gold
        float(ex.gold)  # numeric
    folder = bundled_path("gsm8k_train").parent
    assert (folder / "LICENSE").read_text().startswith("MIT License")
    assert "3101c7d" in (folder / "SOURCE.md").read_text()


def test_prompts_sample():
    examples = load_prompts(bundled_path("prompts_sample"))
    assert len(examples) >= 100 and all(ex.gold is None for ex in examples)
    assert len({ex.prompt for ex in examples}) == len(examples)


@pytest.mark.parametrize("kind", ["shopbench", "shopping_mmlu", "alce", "gsm8k", "prompts"])
def test_load_dataset_defaults_to_bundled_sample(kind):
    assert len(load_dataset(kind, None)) >= 60


def oracle_output(ex) -> str:
    """The answer a perfect model would write, in the format the prompt asks for."""
    gold = ex.gold
    if ex.metric == "mc_accuracy":
        return str(gold)
    if ex.metric == "hit_at_3":
        return ", ".join(map(str, gold))
    if ex.metric == "ndcg":
        return ", ".join(str(i + 1) for i in sorted(range(len(gold)), key=lambda i: -gold[i]))
    if ex.metric == "ner_f1":
        return ", ".join(gold)
    return gold


@pytest.mark.parametrize(
    "metric", ["mc_accuracy", "hit_at_3", "ndcg", "ner_f1", "rouge_l", "bleu4"]
)
def test_oracle_answers_score_full_marks(shopping, metric):
    import common.rewards  # noqa: F401  registers the scorers
    from common.rewards.registry import build_scorer

    rows = by_metric(shopping, metric)
    scorer = build_scorer(metric)
    out = scorer(
        [ex.prompt for ex in rows], [oracle_output(ex) for ex in rows], [ex.gold for ex in rows]
    )
    assert not out.parse_failed.any()
    assert scorer.aggregate(out) == pytest.approx(1.0)
