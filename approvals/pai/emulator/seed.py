"""Data sets for the emulator: a realistic demo registry and a big synthetic one.

Both are deterministic: a fixed random seed, and times counted back from `now`
(today at midnight UTC unless given), so the same day gives the same file.
"""

from __future__ import annotations

import random
import string
import time
from typing import Any

from .store import iso_millis

DEMO_RANDOM_SEED = 20260204
WORKSPACES = ("118493", "207651", "331072")
OWNER_ID = "1557702098194904"
USERS = ("203789115546270311", "264511087213900872", "287402266593158209", "215730928846100157")
REGIONS = ("cn-hangzhou", "cn-shanghai", "cn-beijing")
DAY_MS = 86_400_000

# name, domain, task, English and Chinese description
CATALOG = {
    "nlp": [
        ("sentiment-classifier", "text-classification", "Sentiment of product reviews", "商品评论情感分类"),
        ("ner-bert-base-zh", "named-entity-recognition", "Chinese named entities in news", "中文新闻命名实体识别"),
        ("text-summarizer-t5", "summarization", "Abstractive summaries of support tickets", "客服工单摘要生成"),
        ("intent-detector", "text-classification", "Intent of chatbot utterances", "对话机器人意图识别"),
        ("query-rewriter", "text2text-generation", "Rewrites search queries", "搜索查询改写"),
        ("toxic-comment-filter", "text-classification", "Flags abusive comments", "违规评论过滤"),
        ("mt-en-zh-transformer", "translation", "English to Chinese translation", "英译中机器翻译"),
        ("reranker-cross-encoder", "text-ranking", "Reranks search results", "搜索结果精排"),
    ],
    "cv": [
        ("resnet50-product-classifier", "image-classification", "Product category from photos", "商品图片类目识别"),
        ("yolov5-defect-detector", "object-detection", "Defects on the assembly line", "产线缺陷检测"),
        ("face-quality-scorer", "image-regression", "Face image quality for e-KYC", "人脸图像质量评分"),
        ("ocr-crnn-invoice", "ocr", "Text lines on invoices", "发票文字识别"),
        ("image-dedup-embedder", "feature-extraction", "Embeddings for duplicate images", "图片去重特征提取"),
        ("unet-medical-segmentation", "image-segmentation", "Organ segmentation in CT scans", "CT 影像器官分割"),
        ("logo-detector", "object-detection", "Brand logos in user images", "品牌标识检测"),
    ],
    "speech": [
        ("asr-conformer-zh", "automatic-speech-recognition", "Mandarin speech recognition", "中文语音识别"),
        ("asr-paraformer-en", "automatic-speech-recognition", "English call-center ASR", "英文客服语音识别"),
        ("tts-fastspeech2-zh", "text-to-speech", "Mandarin speech synthesis", "中文语音合成"),
        ("kws-tiny-wakeword", "keyword-spotting", "Wake word on devices", "端侧唤醒词检测"),
        ("speaker-verification-ecapa", "speaker-verification", "Voiceprint check", "声纹验证"),
        ("speech-emotion-recognizer", "audio-classification", "Emotion in customer calls", "通话情绪识别"),
        ("asr-hotword-boosted", "automatic-speech-recognition", "ASR with hot-word biasing", "热词增强语音识别"),
    ],
    "recommendation": [
        ("ctr-deepfm", "ctr-prediction", "Click-through rate for the home feed", "首页信息流点击率预估"),
        ("ctr-dcn-v2", "ctr-prediction", "CTR with cross network v2", "DCN-v2 点击率预估"),
        ("two-tower-retrieval", "retrieval", "Candidate retrieval for items", "双塔召回模型"),
        ("mmoe-multitask-ranker", "ranking", "Click and conversion ranking", "多目标排序模型"),
        ("din-user-interest", "ctr-prediction", "User interest from behaviour", "用户兴趣建模"),
        ("wide-and-deep-coupon", "ranking", "Coupon ranking", "优惠券排序"),
        ("dssm-query-item-match", "retrieval", "Query to item matching", "查询商品语义匹配"),
        ("xgb-churn-predictor", "tabular-classification", "Churn of subscribers", "用户流失预测"),
    ],
}
# metric -> (start, change per version); cer/wer/logloss go down as models improve
METRICS = {
    "nlp": {"accuracy": (0.86, 0.006), "f1": (0.83, 0.007)},
    "cv": {"top1": (0.74, 0.008), "mAP": (0.52, 0.01)},
    "speech": {"cer": (0.112, -0.004), "wer": (0.181, -0.006)},
    "recommendation": {"auc": (0.712, 0.004), "logloss": (0.468, -0.005)},
}
FORMATS = {
    "nlp": [("TorchScript", "Pytorch"), ("SavedModel", "TensorFlow"), ("ONNX", "Pytorch")],
    "cv": [("TorchScript", "Pytorch"), ("ONNX", "Pytorch"), ("Frozen Pb", "TensorFlow"), ("Caffe Prototxt", "Caffe")],
    "speech": [("TorchScript", "Pytorch"), ("ONNX", "Pytorch")],
    "recommendation": [
        ("SavedModel", "TensorFlow"),
        ("XGBoost", "XGBoost"),
        ("AlinkModel", "Alink"),
        ("PMML", "Alink"),
    ],
}
PROCESSORS = {
    "Pytorch": "pytorch_gpu_1.10",
    "TensorFlow": "tensorflow_gpu_1.12",
    "XGBoost": "xgboost",
    "Alink": "alink_pai_processor",
    "Caffe": "caffe_cpu",
    "Keras": "tensorflow_cpu_2.7",
    "Xflow": "xflow",
}
NOTES = [
    ("Retrained on last month's data.", "使用上月数据重新训练。"),
    ("Larger batch size and cosine learning-rate schedule.", "增大批大小，学习率改为余弦退火。"),
    ("Fixed a label leak in the validation split.", "修复了验证集的标签泄漏问题。"),
    ("Distilled from the large teacher model.", "由大模型蒸馏得到。"),
    ("Quantized to INT8 for cheaper inference.", "INT8 量化，降低推理成本。"),
    ("Added hard negatives mined from production logs.", "加入线上日志挖掘的困难负样本。"),
]


def _id(rng: random.Random, prefix: str, n: int = 12) -> str:
    return prefix + "".join(rng.choices(string.ascii_lowercase + string.digits, k=n))


def _today_ms(now: float | None) -> int:
    ms = int((time.time() if now is None else now) * 1000)
    return ms - ms % DAY_MS


def _version_names(rng: random.Random, count: int) -> list[str]:
    major, minor, patch, names = 1, 0, 0, []
    for i in range(count):
        if i:
            step = rng.random()
            if step < 0.5:
                patch += 1
            elif step < 0.85:
                minor, patch = minor + 1, 0
            else:
                major, minor, patch = major + 1, 0, 0
        suffix = rng.choice(["_beta", "_rc1"]) if rng.random() < 0.15 else ""
        names.append(f"{major}.{minor}.{patch}{suffix}")
    return names


def _status(rng: random.Random, index: int, count: int) -> str:
    # Reviews lag behind training: the newest versions wait, older ones are decided.
    if index >= count - 2:
        return "Pending" if rng.random() < 0.8 else "Approved"
    return rng.choices(["Approved", "Rejected", "Pending"], weights=[65, 25, 10])[0]


def _source(rng: random.Random, workspace: str) -> tuple[str, str]:
    kind = rng.choice(["Custom", "PAIFlow", "TrainingService"])
    region = rng.choice(REGIONS)
    if kind == "PAIFlow":
        return kind, f"region={region},workspaceId={workspace},kind=PipelineRun,id={_id(rng, 'flow-', 16)}"
    if kind == "TrainingService":
        return kind, f"region={region},workspaceId={workspace},kind=ServiceJob,id={_id(rng, 'train-', 14)}"
    return kind, rng.choice(["", "notebook upload", f"git:{_id(rng, '', 7)}"])


def _metrics(rng: random.Random, domain: str, datasets: list[str], index: int) -> dict[str, Any]:
    results = []
    for d, dataset in enumerate(datasets):
        values = {
            name: round(start + step * index - 0.01 * d + rng.uniform(-0.002, 0.002), 4)
            for name, (start, step) in METRICS[domain].items()
        }
        results.append({"Dataset": {"DatasetId": dataset}, "Metrics": values})
    return {"Results": results}


def _demo_version(rng: random.Random, model: dict[str, Any], ctx: dict[str, Any], i: int, n: int) -> dict[str, Any]:
    name, domain, created = ctx["names"][i], model["Domain"], ctx["created"][i]
    fmt, framework = ctx["format"]
    source_type, source_id = _source(rng, model["WorkspaceId"])
    en, zh = rng.choice(NOTES)
    description = rng.choice([en, zh, f"{en} {zh}"])
    return {
        "VersionName": name,
        "VersionDescription": description,
        "ApprovalStatus": _status(rng, i, n),
        "Metrics": _metrics(rng, domain, ctx["datasets"], i),
        "TrainingSpec": {
            "Instance": rng.choice(["ecs.gn6v-c8g1.2xlarge", "ecs.gn7i-c16g1.4xlarge", "ecs.g6.4xlarge"]),
            "Hyperparameters": {"learning_rate": rng.choice([1e-4, 3e-4, 1e-3]), "epochs": rng.randint(3, 40)},
        },
        "InferenceSpec": {"processor": PROCESSORS[framework]},
        "EvaluationSpec": {} if rng.random() < 0.5 else {"Datasets": ctx["datasets"]},
        "CompressionSpec": {"Quantization": "int8"} if "INT8" in en else {},
        "DistillationSpec": {"Teacher": f"{model['ModelName']}-large"} if "Distilled" in en else {},
        "ExtraInfo": {"GitCommit": _id(rng, "", 7)} if rng.random() < 0.5 else {},
        "Options": rng.choice(["{}", '{"TrafficPercent":10}', '{"Autoscale":true}']),
        "SourceType": source_type,
        "SourceId": source_id,
        "Uri": f"oss://pai-models-{model['WorkspaceId']}.oss-cn-hangzhou.aliyuncs.com/{model['ModelName']}/{name}/",
        "FormatType": fmt,
        "FrameworkType": framework,
        "Labels": [{"Key": "stage", "Value": "canary" if i == n - 1 else "stable"}],
        "OwnerId": OWNER_ID,
        "UserId": rng.choice(USERS),
        "GmtCreateTime": iso_millis(created),
        "GmtModifiedTime": iso_millis(min(created + rng.randint(0, 3 * DAY_MS), ctx["today"])),
    }


def demo_registry(now: float | None = None) -> tuple[list[dict[str, Any]], dict[str, list[dict[str, Any]]]]:
    """About 30 models over four domains with 3 to 12 versions each."""
    rng = random.Random(DEMO_RANDOM_SEED)
    today = _today_ms(now)
    models, versions = [], {}
    for domain, entries in CATALOG.items():
        for name, task, en, zh in entries:
            origin = rng.choices(["Custom", "ModelScope", "HuggingFace"], weights=[6, 2, 1])[0]
            model_id = _id(rng, "model-", 16)
            count = rng.randint(3, 12)
            first = today - rng.randint(60, 240) * DAY_MS + rng.randint(0, DAY_MS)
            ctx = {
                "today": today,
                "names": _version_names(rng, count),
                "format": rng.choice(FORMATS[domain]),
                "datasets": [_id(rng, "d-", 16) for _ in range(rng.randint(1, 3))],
                # each version a few days to a few weeks after the previous one, none in the future
                "created": sorted(
                    min(first + k * rng.randint(3, 20) * DAY_MS, today - 3_600_000) for k in range(count)
                ),
            }
            model = {
                "ModelId": model_id,
                "ModelName": name,
                "ModelDescription": f"{en}. {zh}。",
                "ModelDoc": f"https://help.example.com/models/{name}",
                "ModelType": "Checkpoint",
                "Domain": domain,
                "Task": task,
                "Origin": origin,
                "Provider": "pai" if origin != "Custom" else "",
                "Accessibility": "PUBLIC" if rng.random() < 0.15 else "PRIVATE",
                "WorkspaceId": rng.choice(WORKSPACES),
                "OwnerId": OWNER_ID,
                "UserId": rng.choice(USERS),
                "Labels": [{"Key": "team", "Value": f"{domain}-platform"}, {"Key": "domain", "Value": domain}],
                "Tags": [{"Key": "cost-center", "Value": rng.choice(["cc-1021", "cc-2040"])}],
                "ExtraInfo": {},
                "GmtCreateTime": iso_millis(first - DAY_MS),
                "GmtModifiedTime": iso_millis(first - DAY_MS),
            }
            rows = [_demo_version(rng, model, ctx, i, count) for i in range(count)]
            model["GmtLatestVersionModifiedTime"] = max(v["GmtModifiedTime"] for v in rows)
            models.append(model)
            versions[model_id] = rows
    return models, versions


def synthetic_registry(
    size: int, now: float | None = None, *, large_model: int = 0
) -> tuple[list[dict[str, Any]], dict[str, list[dict[str, Any]]]]:
    """`size` plain versions over size/50 models, for benchmarks; cheap to build.

    With `large_model`, the first model holds that many versions instead of its share
    (the registry then has `large_model` minus that share versions more).
    """
    rng = random.Random(size)
    today = _today_ms(now)
    n_models = max(1, size // 50)
    models, versions = [], {}
    for m in range(n_models):
        model_id = f"model-bench{m:07d}"
        per_model = size // n_models + (1 if m < size % n_models else 0)
        if m == 0 and large_model:
            per_model = large_model
        workspace = WORKSPACES[m % len(WORKSPACES)]
        created = today - (m % 300) * DAY_MS
        rows = []
        for i in range(per_model):
            stamp = iso_millis(created + i * 60_000)
            rows.append(
                {
                    "VersionName": f"1.{i // 100}.{i % 100}",
                    "VersionDescription": f"synthetic version {i} of bench model {m}",
                    "ApprovalStatus": "Pending" if i >= per_model - 5 else rng.choice(["Approved", "Rejected"]),
                    "Metrics": {"Results": [{"Dataset": {"DatasetId": f"d-bench{m:07d}"}, "Metrics": {"auc": 0.7}}]},
                    "InferenceSpec": {"processor": "pytorch_gpu_1.10"},
                    "TrainingSpec": {},
                    "Options": "{}",
                    "SourceType": "Custom",
                    "SourceId": "",
                    "Uri": f"oss://pai-bench.oss-cn-hangzhou.aliyuncs.com/m{m}/{i}/",
                    "FormatType": "TorchScript",
                    "FrameworkType": "Pytorch",
                    "Labels": [],
                    "OwnerId": OWNER_ID,
                    "UserId": USERS[0],
                    "GmtCreateTime": stamp,
                    "GmtModifiedTime": stamp,
                }
            )
        stamp = iso_millis(created)
        models.append(
            {
                "ModelId": model_id,
                "ModelName": f"bench-model-{m:05d}",
                "ModelDescription": "synthetic benchmark model",
                "ModelType": "Checkpoint",
                "Domain": "recommendation",
                "Task": "ctr-prediction",
                "Origin": "Custom",
                "Provider": "",
                "Accessibility": "PRIVATE",
                "WorkspaceId": workspace,
                "OwnerId": OWNER_ID,
                "UserId": USERS[0],
                "Labels": [],
                "Tags": [],
                "ExtraInfo": {},
                "GmtCreateTime": stamp,
                "GmtModifiedTime": stamp,
                "GmtLatestVersionModifiedTime": rows[-1]["GmtModifiedTime"] if rows else stamp,
            }
        )
        versions[model_id] = rows
    return models, versions
