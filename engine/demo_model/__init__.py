"""The bundled demo model: scene generator, captions, network, training, export, detectors.

Train: `python -m engine.demo_model.train --out runs/demo --resume` (and `train_sr`);
export: `python -m engine.demo_model.export runs/demo resources/models/kinora-demo`.
The engine reaches it through `engine.adapters.demo`.
"""
