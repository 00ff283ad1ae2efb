"""Values printed in the papers, transcribed once, for display *beside* ours (always labelled).

Source: Table 1 and Table 2 of the DRIDSR paper (../shared/papers/DRIDSR_lung_CT_SR_2022.txt), and
Tables 1-4 (ablations) of the IDMAN paper (../shared/papers/IDMAN_CT_SR_Sensors_2021.txt).
The paper's PSNR/SSIM are "evaluated on the Y channel" on its own 46-image COVID-CT test
split, which is not published; its MS-SSIM and PI protocols are not stated.
These are never used as expected values in tests.
"""
from __future__ import annotations

DRIDSR_TABLE1 = {  # (method, scale): (PSNR, SSIM, MS-SSIM, PI)
    ("bicubic", 3): (29.11, 0.8274, 0.9619, 9.1833),
    ("srcnn", 3): (32.26, 0.8760, 0.9763, 8.2775),
    ("espcn", 3): (32.06, 0.8723, 0.9755, 8.0422),
    ("vdsr", 3): (33.05, 0.8861, 0.9788, 7.9292),
    ("imdn", 3): (34.04, 0.8839, 0.9799, 7.2477),
    ("pan", 3): (33.93, 0.8848, 0.9798, 7.3347),
    ("dridsr", 3): (34.47, 0.8874, 0.9805, 7.1783),
    ("bicubic", 4): (26.85, 0.7550, 0.9369, 9.4331),
    ("srcnn", 4): (29.54, 0.8152, 0.9591, 8.7943),
    ("espcn", 4): (29.72, 0.8176, 0.9601, 8.5870),
    ("vdsr", 4): (30.30, 0.8343, 0.9644, 8.6821),
    ("imdn", 4): (31.41, 0.8348, 0.9696, 7.8519),
    ("pan", 4): (31.33, 0.8360, 0.9699, 7.9969),
    ("dridsr", 4): (31.89, 0.8406, 0.9714, 7.8248),
}

DRIDSR_TABLE2 = {  # x4: (Parameters (M), Layers, PSNR, SSIM, Time (s)) on a GTX 1080 Ti
    "vdsr": (0.67, 20, 30.30, 0.8343, 0.0825),
    "imdn": (0.71, 34, 31.41, 0.8348, 0.0638),
    "pan": (0.27, 60, 31.33, 0.8360, 0.0427),
    "dridsr": (0.52, 32, 31.89, 0.8370, 0.0548),
}

#: DRIDSR's own inconsistencies in the tables above (shown with our Table 2).
DRIDSR_TABLE2_NOTES = (
    "The paper's DRIDSR SSIM at x4 is 0.8370 in Table 2 but 0.8406 in Table 1 (same model, scale and test set; "
    "the other rows of Table 2 repeat Table 1). Its 'Layers' follow no single stated rule: VDSR 20, IMDN 34 "
    "(without the 12 contrast-aware-attention 1x1 convolutions) and DRIDSR 32 (with the Sobel layer) fit "
    "'main-path weight layers', PAN's 60 fits no counting of its official code.")

#: Captions of the visual comparisons (Figs. 7-11), verbatim except ``$\times 4$`` written ``x4``.
DRIDSR_FIGURE_CAPTIONS = {
    "fig7": "Visual comparison for x4 SR on GGO image patch.",
    "fig8": "Visual comparison for x3 SR on a COVID-CT test image.",
    "fig9": "Visual comparison for x3 SR on Non-COVID-CT test image.",
    "fig10": "Visual comparison for x4 SR on a Non-COVID-CT test image.",
    "fig11": "Visual comparison for x4 SR on a COVID-CT test image.",
}

#: IDMAN ablations (section 4.4), PSNR (dB): x2, the paper's 500-image DeepLesion validation set, after
#: 2 x 10^5 iterations. Keys are the variants of ``paperlib.experiments.idman.ABLATIONS``.
#: Table 1: feature extraction by Conv-ReLU-Conv or information distillation (channel attention in both).
IDMAN_TABLE1 = {"conv": 33.966, "info_distill": 34.012}
#: Table 2: MAB branches (Conv-ReLU-Conv extraction; "none" = the traditional channel attention). The
#: paper's text layer loses the columns of the check marks: 3x3 = 34.008 is stated in the text, 3+5 =
#: 34.014 equals Table 3's "MAB" column (the same model); 5 before 7 and 3+7 before 5+7 are the
#: natural row order, assumed.
IDMAN_TABLE2 = {"none": 33.966, "3": 34.008, "5": 34.013, "7": 34.006, "3+5": 34.014, "3+7": 34.013,
                "5+7": 34.016, "3+5+7": 34.018}
#: Table 3: neither module, information distillation only, MAB only, both (= IDMAN).
IDMAN_TABLE3 = {"neither": 33.966, "info_distill": 34.012, "mab": 34.014, "both": 34.022}
#: Table 4: IDMAN without and with weight normalisation.
IDMAN_TABLE4 = {"without_wn": 34.019, "idman": 34.022}

DISPLAY_NAMES = {"bicubic": "Bicubic", "srcnn": "SRCNN", "espcn": "ESPCN", "vdsr": "VDSR", "imdn": "IMDN",
                 "pan": "PAN", "dridsr": "DRIDSR", "fsrcnn": "FSRCNN", "drrn": "DRRN", "edsr": "EDSR",
                 "edsr_baseline": "EDSR-baseline", "mdsr": "MDSR", "rdn": "RDN", "rcan": "RCAN", "idman": "IDMAN"}


#: The DRIDSR abstract's claims tested by the budget study: DRIDSR beats each of these at x4.
DRIDSR_CLAIM_BASELINES = ("imdn", "pan", "vdsr", "espcn", "srcnn")
