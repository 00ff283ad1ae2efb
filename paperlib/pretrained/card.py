"""Model cards of the shipped checkpoints: the JSON facts (:func:`make_card`) and their Markdown (:func:`render`).

The JSON is the source of truth; the Markdown is generated from it by :func:`render` and never
edited by hand. :data:`DATA_TERMS` states, once, the licence and citation of every data source a
shipped model was trained or tested on.
"""

from __future__ import annotations

import time

from ..data.sample import COLLECTIONS, TCIA_CITATION
from . import CARD_VERSION, Spec

#: Licence, citation and what may be redistributed, per data source (``paperlib.data.sources`` names).
DATA_TERMS = {
    "tcga": {
        "collection": "TCIA TCGA lung collections (TCGA-LUAD, TCGA-LUSC), the 'CT Medical Images' subset",
        "license": "CC BY 3.0 (TCIA TCGA imaging)",
        "license_url": "https://creativecommons.org/licenses/by/3.0/",
        "citation": COLLECTIONS["TCGA-LUAD"]["citation"] + "; Kirk S, et al. The Cancer Genome Atlas Lung "
        "Squamous Cell Carcinoma Collection (TCGA-LUSC) [Data set]. The Cancer Imaging Archive, 2016. "
        "https://doi.org/10.7937/K9/TCIA.2016.TYGKKFMQ; " + TCIA_CITATION,
        "images_shipped": False,
    },
    "covid19_ny_sbu": {
        "collection": "TCIA COVID-19-NY-SBU (axial series of the sample)",
        "license": "CC BY 4.0",
        "license_url": "https://creativecommons.org/licenses/by/4.0/",
        "citation": "Saltz J, et al. Stony Brook University COVID-19 Positive Cases (COVID-19-NY-SBU) [Data set]. "
        "The Cancer Imaging Archive, 2021. https://doi.org/10.7937/TCIA.BBAG-2923; " + TCIA_CITATION,
        "images_shipped": False,
    },
    "lung_pet_ct_dx": {
        "collection": "TCIA Lung-PET-CT-Dx (CT series)",
        "license": COLLECTIONS["Lung-PET-CT-Dx"]["license"],
        "license_url": COLLECTIONS["Lung-PET-CT-Dx"]["license_url"],
        "citation": COLLECTIONS["Lung-PET-CT-Dx"]["citation"] + "; " + TCIA_CITATION,
        "images_shipped": False,
    },
    "covid-ct": {
        "collection": "UCSD-AI4H COVID-CT (CT figures from medRxiv/bioRxiv preprints)",
        "license": "research use; the images belong to the preprints' authors and are NOT redistributed here "
        "(only weights trained on them ship)",
        "license_url": "https://github.com/UCSD-AI4H/COVID-CT",
        "citation": "Yang X, He X, Zhao J, Zhang Y, Zhang S, Xie P. COVID-CT-Dataset: A CT Scan Dataset about "
        "COVID-19. arXiv:2003.13865, 2020",
        "images_shipped": False,
    },
}

INTENDED_USE = (
    "Research and teaching: super-resolving chest CT slices to study the method. Not a medical device; "
    "not for diagnosis. Outputs are derived images (DICOM DERIVED\\SECONDARY, 'not for diagnosis')."
)


def data_terms(sources) -> list[dict]:
    """The :data:`DATA_TERMS` of ``sources`` (in order, each once), with the source's name."""
    from ..data.sample import DATASET

    out = []
    for s in dict.fromkeys(sources):
        key = "sample" if s == DATASET else s
        terms = DATA_TERMS.get(key) or {
            "collection": key,
            "license": "see paperlib/data/sample/README.md",
            "citation": "; ".join(c["short"] for c in COLLECTIONS.values()),
            "images_shipped": key == "sample",
        }
        out.append({"source": key} | terms)
    return out


def make_card(spec: Spec, run, weights: dict, split: dict, evaluation: list[dict]) -> dict:
    """The JSON card of ``spec`` trained in ``run`` (a :class:`paperlib.runs.Run`).

    Args:
        weights: ``{"file", "sha256", "bytes", "parameters"}`` of the written weights.
        split: what the model was trained, validated and tested on (:func:`paperlib.pretrained.build.split_record`).
        evaluation: one dict per held-out test set (:func:`paperlib.pretrained.build.evaluate_held_out`).
    """
    from ..runtime import git_commit

    man, cfg = run.manifest, run.manifest["config"]
    intensity = cfg["data"]["intensity"]
    prec = cfg["precision"]
    return {
        "card_version": CARD_VERSION,
        "name": spec.name,
        "summary": spec.summary,
        "model": spec.model,
        "scale": spec.scale,
        "options": dict(spec.options),
        **weights,
        "format": "PyTorch state_dict, fp32 (torch.load(path, weights_only=True)); 1-channel input in [0, 1]",
        "intensity": {
            "kind": intensity["kind"],
            "window": intensity["window"],
            "window_name": intensity["window_name"],
            "lr": intensity.get("lr"),
        },
        "training": {
            "data": list(spec.data),
            "split": split,
            "seed": cfg["seed"],
            "profile": cfg["profile"]["name"],
            "iterations": man["steps"],
            "plan": cfg["plan"],
            "loss": "L1",
            "precision": {
                **prec,
                "summary": "bf16 autocast + channels_last, output layer fp32" if prec["bf16_autocast"] else "fp32",
            },
            "train_seconds": round(float(man.get("train_seconds", 0.0)), 1),
            "run_key": man["key"],
            "git_commit": man["git_commit"],
            "hardware": man["hardware"],
            "finished": man.get("finished"),
        },
        "evaluation": evaluation,
        "built": {
            "date": time.strftime("%Y-%m-%dT%H:%M:%S"),
            "git_commit": git_commit(),
            "command": f"python -m paperlib.pretrained build --only {spec.name} --iterations {man['steps']}",
        },
        "data_terms": data_terms(list(spec.data) + [t["data"] for t in evaluation]),
        "intended_use": INTENDED_USE,
        "limitations": _limitations(spec, man["steps"]),
    }


def _limitations(spec: Spec, steps: int) -> str:
    text = (
        f"Trained for {steps} iterations on a small CPU budget: early training, not the paper's schedule, "
        "and on small public samples (few patients). "
    )
    if spec.window is None:
        return text + (
            "Trained on 8-bit figures of unknown windowing, not on HU: on DICOM it sees the slice "
            "through the window passed to upscale (default lung)."
        )
    return text + (
        f"Sees HU through the {spec.window} window only; outside it (air below, soft tissue and bone "
        "above) upscale keeps bicubic HU."
    )


def render(card: dict) -> str:
    """The Markdown card, generated from the JSON card."""
    tr, win = card["training"], card["intensity"]
    window = (
        f"HU through the {win['window_name'] or 'stated'} window W{win['window'][0]:g}/L{win['window'][1]:g}"
        if win["window"]
        else "8-bit images (/255)"
    )
    lines = [
        f"# {card['name']}",
        "",
        card["summary"],
        "",
        "<!-- generated from " + f"{card['name']}.json by paperlib.pretrained.card.render; do not edit -->",
        "",
        "| | |",
        "|---|---|",
        f"| architecture | `{card['model']}` x{card['scale']}, options {card['options'] or 'defaults'}, "
        f"{card['parameters']:,} parameters |",
        f"| input | {window}; LR: {win.get('lr')} |",
        f"| weights | `{card['file']}`, {card['bytes']:,} bytes, sha256 `{card['sha256']}` |",
        f"| training data | {', '.join(tr['data'])} (seed {tr['seed']}) |",
        f"| profile | {tr['profile']}, {tr['iterations']} iterations, batch {tr['plan']['batch_size']} x "
        f"{tr['plan']['hr_patch']}x{tr['plan']['hr_patch']} HR patches, lr {tr['plan']['lr']:g} halved every "
        f"{tr['plan']['halve_every']}, {tr['loss']} loss |",
        f"| precision | {tr['precision']['summary']} |",
        f"| trained | {tr['train_seconds']} s on {tr['hardware'].get('cpu')} ({tr['hardware'].get('device')}), "
        f"torch {tr['hardware'].get('torch')}, commit `{tr['git_commit']}`, {tr['finished']} |",
        f"| built | {card['built']['date']}, commit `{card['built']['git_commit']}`: `{card['built']['command']}` |",
        *([f"| trained on (DICOM headers) | {domain_text(card['domain'])} |"] if card.get("domain") else []),
        "",
        "## Data split",
        "",
    ]
    lines += [f"* **{k}**: {_split_text(v)}" for k, v in tr["split"].items()]
    lines += ["", "## Held-out evaluation", "", _eval_table(card["evaluation"]), ""]
    lines += [f"* {e['data']} {e['split']}: {e['role']}; protocol: {e['protocol']}" for e in card["evaluation"]]
    lines += ["", "## Data licences and attribution", ""]
    lines += [f"* **{t['source']}** ({t['collection']}): {t['license']}. {t['citation']}." for t in card["data_terms"]]
    lines += ["", "## Intended use and limitations", "", card["intended_use"], "", card["limitations"], ""]
    return "\n".join(lines)


def domain_text(d: dict) -> str:
    """One line of a card's ``domain`` (:func:`paperlib.pretrained.domain.training_domain`)."""

    def span(v):
        return f"{v[0]:g}-{v[1]:g} mm" if v else "unrecorded"

    return (
        f"{d['n_slices']} training slices: modality {', '.join(d['modality'])}; body part "
        f"{', '.join(d['body_part'])}; pixel spacing {span(d['pixel_spacing_mm'])}; slice thickness "
        f"{span(d['slice_thickness_mm'])}. `upscale` notes input outside these in one line."
    )


def _split_text(v: dict) -> str:
    ids = v.get("patients")
    extra = f": {', '.join(ids)}" if ids else ""
    n = f"{len(ids)} patients" if ids is not None else ""
    return "; ".join(x for x in (n, f"{v['images']} images" if "images" in v else "", v.get("note", "")) if x) + extra


def _eval_table(evaluation: list[dict]) -> str:
    import pandas as pd

    df = pd.DataFrame(
        [
            {
                "test set": f"{e['data']} {e['split']}",
                "images": e["n_images"],
                "PSNR (dB)": round(e["psnr"], 2),
                "SSIM": round(e["ssim"], 4),
                "bicubic PSNR": round(e["bicubic_psnr"], 2),
                "bicubic SSIM": round(e["bicubic_ssim"], 4),
            }
            for e in evaluation
        ]
    )
    return df.to_markdown(index=False)
