#!/usr/bin/env python3
"""Turn the vision records of ../shared/measurements/published.jsonl that vramfit's built-in
architectures can describe into accuracy cases (bench/accuracy/vision-published.jsonl), in the shared
case schema (bench/accuracy/cases.ts): model, workload, measured {level, bytes}, source_url, quote.

Units, per the measurements README: detectron2 'train mem (GB)', MMDetection/MMYOLO 'Mem (GB)'/'memory'
are torch.cuda.max_memory_allocated() logged in MiB and divided by 1024 → GiB, level "allocated";
Ultralytics GPU_mem is torch.cuda.memory_reserved()/1e9 → decimal GB, level "reserved".
Records left out: Mask R-CNN, R-C4/DC5 and ResNeXt detector variants, YOLOv5 P6, YOLOv8-pose, UPerNet,
SegFormer, ViViT (no built-in graph for them).

Run: python3 bench/vision/transcribe_published.py > bench/accuracy/vision-published.jsonl
"""
import json
import os

HERE = os.path.dirname(os.path.abspath(__file__))
SRC = os.path.join(HERE, "..", "..", "..", "shared", "measurements", "published.jsonl")
GIB = 1024 ** 3

# id -> (model, workload, level, unit multiplier, notes)
def yolo_mm(model, family):
    return (model, {"mode": "train", "batch": 16, "image": 640, "precision": "amp-fp16", "optimizer": "sgd-momentum", "ema": True},
            "allocated", GIB, f"MMYOLO {family} recipe: SGD momentum 0.937, EMA of the weights (ExpMomentumEMA), AMP; "
            "max_boxes left at vramfit's default (COCO with mosaic); mmyolo's modules mirror Ultralytics' but the loss/assigner code differs")

MAP = {}
for s in "nsmlx":
    MAP[f"mmyolo-yolov8{s}-640"] = yolo_mm(f"yolov8{s}", "YOLOv8")
    MAP[f"mmyolo-yolov5{s}-640"] = yolo_mm(f"yolov5{s}", "YOLOv5 v6.1")
MAP["ultralytics-tutorial-yolov8n-coco128-t4"] = ("yolov8n", {"mode": "train", "batch": 16, "image": 640, "precision": "amp-fp16", "optimizer": "sgd-momentum", "ema": True},
    "reserved", 1e9, "Ultralytics trainer: AMP, ModelEMA, SGD (Jan 2023 default); GPU_mem is reserved memory, decimal GB")
MAP["ultralytics-issue3075-yolov8n-704-b8"] = ("yolov8n", {"mode": "train", "batch": 8, "image": 704, "precision": "amp-fp16", "optimizer": "sgd-momentum", "ema": True},
    "reserved", 1e9, "custom dataset, class count not stated (80 assumed); GPU_mem is reserved memory, decimal GB")
det = {"mode": "train", "batch": 2, "image": "1333x800", "precision": "fp32", "optimizer": "sgd-momentum"}
MAP["mmdet-frcnn-r50-fpn-1x"] = ("mmdet_faster_rcnn_r50_fpn", det, "allocated", GIB,
    "MMDetection Faster R-CNN R-50-FPN (80 classes, frozen_stages=1, BN requires_grad=True with norm_eval=True), "
    "torchvision heads; "
    "the largest padded COCO batch at scale (1333, 800) sets the max over training")
MAP["d2-frcnn-r50-fpn-1x"] = ("fasterrcnn_resnet50_fpn", det, "allocated", GIB,
    "detectron2 R50-FPN (FrozenBN, freeze_at=2), modelled with torchvision's architecture; multi-scale 640–800 short side, max 1333")
MAP["d2-retinanet-r50-fpn-1x"] = ("retinanet_resnet50_fpn", det, "allocated", GIB,
    "detectron2 RetinaNet R50-FPN, modelled with torchvision's architecture (focal loss over all anchors)")

psp = {"mode": "train", "batch": 2, "image": "1024x512", "precision": "fp32", "optimizer": "sgd-momentum"}
PSP_NOTE = ("MMSegmentation PSPNet ResNetV1c-D8 on Cityscapes crops (19 classes), SyncBN across 4 GPUs modelled as BN, "
            "SGD momentum 0.9; Mem (GB) is max_memory_allocated in GiB")
MAP["mmseg-pspnet-r50-d8-512x1024"] = ("pspnet_r50_d8", psp, "allocated", GIB, PSP_NOTE)
MAP["mmseg-pspnet-r101-d8-512x1024"] = ("pspnet_r101_d8", psp, "allocated", GIB, PSP_NOTE)
MAP["mmseg-pspnet-r18-d8-512x1024"] = ("pspnet_r18_d8", psp, "allocated", GIB, PSP_NOTE)
MAP["mmseg-pspnet-r50-d8-769x769"] = ("pspnet_r50_d8", dict(psp, image=769), "allocated", GIB, PSP_NOTE)
MAP["mmseg-pspnet-r101-d8-512x1024-fp16"] = ("pspnet_r101_d8", dict(psp, precision="amp-fp16"), "allocated", GIB, PSP_NOTE + "; AMP (fp16 autocast)")

out = []
for line in open(SRC):
    r = json.loads(line)
    if r["category"] != "vision" or r["id"] not in MAP:
        continue
    model, wl, level, mult, notes = MAP[r["id"]]
    # COCO's 80 classes; torchvision's Faster R-CNN counts the background class in num_classes.
    classes = 81 if "rcnn" in model else 19 if model.startswith("pspnet") else 80
    wl = dict(wl)
    if classes:
        wl["classes"] = classes
    out.append({
        "id": r["id"],
        "category": "vision_training",
        "source_url": r["source_url"],
        "quote": r["quote"],
        "model": model,
        "gpu_name": r["gpu"],
        "workload": wl,
        "measured": {"level": level, "bytes": round(r["value"] * mult)},
        "published": {"value": r["value"], "unit": r["unit"], "measured": r["measured"], "confidence": r["confidence"]},
        "notes": notes,
    })
for c in out:
    print(json.dumps(c, ensure_ascii=False))
