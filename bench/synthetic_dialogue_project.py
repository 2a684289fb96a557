#!/usr/bin/env python3
# Writes a synthetic Rasa project for timing bot loads with the learned policy: 200 intents with
# 50 examples each (10,000 NLU examples), 2000 three-turn stories, one rule per intent, Rasa's
# default policies (TEDPolicy on). Deterministic (seed 11). Usage: synthetic_dialogue_project.py DIR
import os
import random
import sys

INTENTS, PER_INTENT, STORIES = 200, 50, 2000

def main(out):
    rng = random.Random(11)
    os.makedirs(os.path.join(out, "data"), exist_ok=True)
    domain = 'version: "3.1"\nintents:\n' + "".join(f"  - intent_{i}\n" for i in range(INTENTS))
    domain += ("entities:\n  - city\nslots:\n  city:\n    type: text\n    mappings:\n"
               "    - type: from_entity\n      entity: city\nresponses:\n")
    domain += "".join(f'  utter_{i}:\n  - text: "reply {i}"\n' for i in range(INTENTS))
    words = "please a the want to go need my order now".split()
    nlu = 'version: "3.1"\nnlu:\n'
    for i in range(INTENTS):
        nlu += f"- intent: intent_{i}\n  examples: |\n"
        for k in range(PER_INTENT):
            text = " ".join(rng.choice(words) for _ in range(5)) + f" topic{i}"
            nlu += "    - " + text + (" to [Paris](city)" if k % 3 == 0 else "") + "\n"
    stories = 'version: "3.1"\nstories:\n'
    for s in range(STORIES):
        stories += f"- story: story {s}\n  steps:\n"
        for _ in range(3):
            i = rng.randrange(INTENTS)
            stories += (f"  - intent: intent_{i}\n    entities:\n    - city: Paris\n  - action: utter_{i}\n"
                        "  - slot_was_set:\n    - city: Paris\n")
    stories += "rules:\n" + "".join(
        f"- rule: rule {i}\n  condition:\n  - active_loop: null\n  steps:\n  - intent: intent_{i}\n"
        f"  - action: utter_{i}\n" for i in range(INTENTS))
    files = {"domain.yml": domain, "data/nlu.yml": nlu, "data/stories.yml": stories,
             "config.yml": "language: en\npipeline:\n  - name: FallbackClassifier\n    threshold: 0.3\n"}
    for path, text in files.items():
        with open(os.path.join(out, path), "w") as f:
            f.write(text)

if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit("usage: synthetic_dialogue_project.py DIR")
    main(sys.argv[1])
