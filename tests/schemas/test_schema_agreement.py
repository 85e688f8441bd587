"""Debian's python3-jsonschema and Vetrina's C++ validator must agree on every file of the
corpus: the schema is the contract, the C++ validator is what the API enforces.

Corpus: tests/schemas/corpus/{valid,invalid}/*.json and the demo campaigns in schemas/examples/.
"""
import glob
import json
import os
import re
import subprocess
import unittest

import jsonschema

BINARY = os.environ["VETRINA_BINARY"]
SOURCE_DIR = os.environ["VETRINA_SOURCE_DIR"]
HERE = os.path.dirname(os.path.abspath(__file__))

with open(os.path.join(SOURCE_DIR, "schemas", "campaign.schema.json")) as f:
    SCHEMA = json.load(f)


def corpus():
    for expected in ("valid", "invalid"):
        for path in sorted(glob.glob(os.path.join(HERE, "corpus", expected, "*.json"))):
            yield path, expected == "valid"
    for path in sorted(glob.glob(os.path.join(SOURCE_DIR, "schemas", "examples", "*.json"))):
        yield path, True


def cpp_verdicts(paths):
    result = subprocess.run([BINARY, "campaigns", "validate", *paths], capture_output=True,
                            text=True, timeout=60)
    verdicts = {}
    for line in result.stdout.splitlines():
        if line.startswith("OK "):
            verdicts[line[3:]] = True
        elif line.startswith("INVALID "):
            verdicts[line[8:]] = False
    return result.returncode, verdicts


class SchemaAgreementTest(unittest.TestCase):
    def test_schema_is_valid_2020_12(self):
        jsonschema.Draft202012Validator.check_schema(SCHEMA)

    def test_python_and_cpp_agree_with_the_expected_verdict(self):
        validator = jsonschema.Draft202012Validator(SCHEMA)
        files = list(corpus())
        self.assertGreater(len(files), 40)
        code, verdicts = cpp_verdicts([p for p, _ in files])
        self.assertEqual(code, 1)  # the corpus has invalid files
        for path, expected in files:
            with self.subTest(file=os.path.relpath(path, SOURCE_DIR)):
                with open(path) as f:
                    document = json.load(f)
                python_valid = validator.is_valid(document)
                self.assertEqual(python_valid, expected, "python3-jsonschema disagrees")
                self.assertEqual(verdicts.get(path), expected, "the C++ validator disagrees")

    def test_campaign_examples_in_the_admin_api_docs_are_valid(self):
        with open(os.path.join(SOURCE_DIR, "docs", "admin-api.md")) as f:
            blocks = re.findall(r"```json\n(.*?)```", f.read(), re.S)
        campaigns = [json.loads(b) for b in blocks if '"creatives"' in b]
        self.assertGreaterEqual(len(campaigns), 5)
        validator = jsonschema.Draft202012Validator(SCHEMA)
        for campaign in campaigns:
            with self.subTest(campaign=campaign["id"]):
                errors = [e.message for e in validator.iter_errors(campaign)]
                self.assertEqual(errors, [])
        kinds = {c["kind"] for campaign in campaigns for c in campaign["creatives"]}
        self.assertEqual(kinds, {"banner", "video", "native", "product", "challenge"})

    def test_valid_files_alone_exit_zero(self):
        valid = [p for p, ok in corpus() if ok]
        code, verdicts = cpp_verdicts(valid)
        self.assertEqual(code, 0)
        self.assertTrue(all(verdicts.values()))


if __name__ == "__main__":
    unittest.main()
