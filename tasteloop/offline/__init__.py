# The offline engine's three parts, by role, as runs and usage records name them.
OFFLINE_MODELS = {
    "extract": "offline-measured-extractor",
    "generate": "offline-layout+style-network",
    "critique": "offline-measured-critic",
}
