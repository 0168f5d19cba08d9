import os

# Before anything imports TensorFlow: keep its C++ INFO lines out of experiment output.
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
