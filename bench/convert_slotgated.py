#!/usr/bin/env python3
"""Convert the Goo et al. (2018) ATIS / SNIPS splits (MiuLab/SlotGated-SLU,
data/<ds>/{train,valid,test}/{seq.in,seq.out,label}) into the layout of
../shared/nlu/hwu64: a Rasa 3.1 project (train/ and train_dev/), test.jsonl and test.yml, for
bench/nlu_benchmarks. The data are not part of this repository: read the public repository
MiuLab/SlotGated-SLU (commit 61f0307c729b) into a folder of your own and point this script at its
data/ folder.

Usage: python3 convert_slotgated.py <src_data_dir> <dataset> <out_dir> <source_note>
  e.g. python3 bench/convert_slotgated.py /tmp/SlotGated-SLU/data atis /tmp/nlu/atis \
       "MiuLab/SlotGated-SLU @ 61f0307c729b"

Standard library only. Deterministic output.
"""
import json
import os
import sys
from collections import Counter, OrderedDict


def read_split(src, ds, split):
    d = os.path.join(src, ds, split)
    with open(os.path.join(d, "seq.in"), encoding="utf-8") as f:
        words = [l.rstrip("\n") for l in f]
    with open(os.path.join(d, "seq.out"), encoding="utf-8") as f:
        tags = [l.rstrip("\n") for l in f]
    with open(os.path.join(d, "label"), encoding="utf-8") as f:
        labels = [l.rstrip("\n") for l in f]
    assert len(words) == len(tags) == len(labels), (ds, split)
    return list(zip(words, tags, labels))


def bio_to_spans(tokens, tags, stats):
    """conlleval-style chunking: B-x starts a chunk; I-x continues a chunk of
    the same type, otherwise (after O or another type) it starts a new one."""
    spans = []  # (type, first_tok, last_tok)
    cur = None
    for i, t in enumerate(tags):
        if t == "O":
            cur = None
            continue
        prefix, _, typ = t.partition("-")
        assert prefix in ("B", "I") and typ, t
        if prefix == "I" and cur is not None and cur[0] == typ:
            cur[2] = i
            continue
        if prefix == "I":
            stats["I_without_B"] += 1
        cur = [typ, i, i]
        spans.append(cur)
    return spans


def convert_example(words, tags, label, stats):
    tokens = words.split()
    tag_list = tags.split()
    assert len(tokens) == len(tag_list), (words, tags)
    text = " ".join(tokens)
    # character offset of each token in text
    starts, pos = [], 0
    for tok in tokens:
        starts.append(pos)
        pos += len(tok) + 1
    ents = []
    for typ, a, b in bio_to_spans(tokens, tag_list, stats):
        s = starts[a]
        e = starts[b] + len(tokens[b])
        ents.append(OrderedDict([("entity", typ), ("start", s), ("end", e),
                                 ("value", text[s:e])]))
    intent = label.strip().replace("#", "+")
    if "+" in intent:
        stats["multi_intent_examples"] += 1
    return OrderedDict([("text", text), ("intent", intent), ("entities", ents)])


def annotate(ex):
    """Rasa `[value](entity)` markup."""
    text, out, last = ex["text"], [], 0
    for e in ex["entities"]:
        out.append(text[last:e["start"]])
        out.append("[%s](%s)" % (text[e["start"]:e["end"]], e["entity"]))
        last = e["end"]
    out.append(text[last:])
    return "".join(out)


def check(examples):
    for ex in examples:
        for c in "[]()":
            assert c not in ex["text"], ("markup char in text", ex["text"])
        prev_end = -1
        for e in ex["entities"]:
            assert ex["text"][e["start"]:e["end"]] == e["value"], ex
            assert e["start"] > prev_end, ("overlap", ex)
            prev_end = e["end"]
        assert ex["intent"] and " " not in ex["intent"], ex


def by_intent(examples):
    groups = OrderedDict()
    for intent in sorted({ex["intent"] for ex in examples}):
        groups[intent] = []
    for ex in examples:
        groups[ex["intent"]].append(ex)
    return groups


def nlu_yaml(examples, header):
    lines = ["# " + header, 'version: "3.1"', "", "nlu:"]
    for intent, exs in by_intent(examples).items():
        lines.append("- intent: %s" % intent)
        lines.append("  examples: |")
        for ex in exs:
            lines.append("    - " + annotate(ex))
        lines.append("")
    return "\n".join(lines)


def write(path, content):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w", encoding="utf-8") as f:
        f.write(content)


def write_project(out, name, examples, header):
    intents = sorted({ex["intent"] for ex in examples})
    entities = sorted({e["entity"] for ex in examples for e in ex["entities"]})
    config = "\n".join([
        "recipe: default.v1",
        "assistant_id: %s" % name,
        "language: en",
        "",
        "pipeline:",
        "  - name: WhitespaceTokenizer",
        "  - name: CountVectorsFeaturizer",
        "    analyzer: word",
        "  - name: CountVectorsFeaturizer",
        "    analyzer: char_wb",
        "    min_ngram: 1",
        "    max_ngram: 5",
        "  - name: DIETClassifier",
        "    epochs: 100",
        "",
        "policies:",
        "  - name: RulePolicy",
        ""])
    domain = ['version: "3.1"', "", "intents:"]
    domain += ["  - %s" % i for i in intents]
    domain += ["", "entities:"]
    domain += ["  - %s" % e for e in entities]
    domain += ["", "responses:", "  utter_ok:", '  - text: "OK."', "",
               "  utter_default:", "  - text: \"Sorry, I didn't get that.\"", "",
               "session_config:", "  session_expiration_time: 60",
               "  carry_over_slots_to_new_session: true", ""]
    rules = ['version: "3.1"', "", "rules:", ""]
    for i in intents:
        rules += ["- rule: intent %s -> utter_ok" % i, "  steps:",
                  "  - intent: %s" % i, "  - action: utter_ok", ""]
    write(os.path.join(out, "config.yml"), config)
    write(os.path.join(out, "domain.yml"), "\n".join(domain))
    write(os.path.join(out, "data", "rules.yml"), "\n".join(rules))
    write(os.path.join(out, "data", "nlu.yml"), nlu_yaml(examples, header))


def summary(examples):
    ent = Counter(e["entity"] for ex in examples for e in ex["entities"])
    return OrderedDict([
        ("examples", len(examples)),
        ("unique_texts", len({ex["text"] for ex in examples})),
        ("intents", len({ex["intent"] for ex in examples})),
        ("multi_intent_examples", sum("+" in ex["intent"] for ex in examples)),
        ("entity_types", len(ent)),
        ("mentions", sum(ent.values())),
        ("examples_with_entities", sum(bool(ex["entities"]) for ex in examples)),
        ("non_ascii_examples", sum(any(ord(c) > 127 for c in ex["text"]) for ex in examples)),
    ])


def main():
    src, ds, out, note = sys.argv[1:5]
    stats = {}
    data = {}
    for split in ("train", "valid", "test"):
        st = Counter()
        data[split] = [convert_example(w, t, l, st) for w, t, l in read_split(src, ds, split)]
        check(data[split])
        stats[split] = dict(st)
    train, dev, test = data["train"], data["valid"], data["test"]
    write_project(os.path.join(out, "train"), ds, train,
                  "%s (%s), %s, train split (Goo et al. 2018)." % (ds.upper(), note, "standard split"))
    write_project(os.path.join(out, "train_dev"), ds, train + dev,
                  "%s (%s), %s, train + valid splits (Goo et al. 2018)." % (ds.upper(), note, "standard split"))
    with open(os.path.join(out, "test.jsonl"), "w", encoding="utf-8") as f:
        for ex in test:
            f.write(json.dumps(ex, ensure_ascii=False) + "\n")
    write(os.path.join(out, "test.yml"),
          nlu_yaml(test, "%s (%s), standard split, test part (Goo et al. 2018)." % (ds.upper(), note)))
    with open(os.path.join(out, "dev.jsonl"), "w", encoding="utf-8") as f:
        for ex in dev:
            f.write(json.dumps(ex, ensure_ascii=False) + "\n")

    tr_int = {ex["intent"] for ex in train}
    trdev_int = tr_int | {ex["intent"] for ex in dev}
    tr_ent = {e["entity"] for ex in train for e in ex["entities"]}
    trdev_ent = tr_ent | {e["entity"] for ex in dev for e in ex["entities"]}
    report = OrderedDict()
    for name, exs in (("train", train), ("dev", dev), ("train_dev", train + dev), ("test", test)):
        report[name] = summary(exs)
    report["conversion_counters (I_without_B = I- tag not continuing a same-type chunk)"] = stats
    report["test_intents_unseen_in_train"] = sorted({ex["intent"] for ex in test} - tr_int)
    report["test_examples_with_intent_unseen_in_train"] = sum(ex["intent"] not in tr_int for ex in test)
    report["test_intents_unseen_in_train_dev"] = sorted({ex["intent"] for ex in test} - trdev_int)
    report["test_examples_with_intent_unseen_in_train_dev"] = sum(ex["intent"] not in trdev_int for ex in test)
    report["test_entity_types_unseen_in_train"] = sorted(
        {e["entity"] for ex in test for e in ex["entities"]} - tr_ent)
    report["test_mentions_of_types_unseen_in_train"] = sum(
        e["entity"] not in tr_ent for ex in test for e in ex["entities"])
    report["test_entity_types_unseen_in_train_dev"] = sorted(
        {e["entity"] for ex in test for e in ex["entities"]} - trdev_ent)
    report["test_mentions_of_types_unseen_in_train_dev"] = sum(
        e["entity"] not in trdev_ent for ex in test for e in ex["entities"])
    report["test_intent_counts"] = dict(sorted(Counter(ex["intent"] for ex in test).items()))
    write(os.path.join(out, "stats.json"), json.dumps(report, indent=2, ensure_ascii=False) + "\n")
    print(json.dumps(report, indent=2, ensure_ascii=False))


if __name__ == "__main__":
    main()
