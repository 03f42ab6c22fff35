"""The control rules of the catalogue (regulation.md §8) as objects: one module per family.

`base` holds the `Rule` protocol, the `RuleContext` rules read and `combine` (reasons → outcome);
`registry` fixes the order of the rules and builds them from a ruleset.
"""
