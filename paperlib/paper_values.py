"""Values printed in the papers, transcribed once, for display *beside* ours (always labelled).

Source: Table 1 and Table 2 of the DRIDSR paper (../shared/papers/DRIDSR_lung_CT_SR_2022.txt), and
Tables 1-4 (ablations) and 5-8 (the comparison) of the IDMAN paper (../shared/papers/IDMAN_CT_SR_Sensors_2021.txt).
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
    "'main-path weight layers', PAN's 60 fits no counting of its official code."
)

#: Captions of the visual comparisons (Figs. 7-11), verbatim except ``$\times 4$`` written ``x4``.
DRIDSR_FIGURE_CAPTIONS = {
    "fig7": "Visual comparison for x4 SR on GGO image patch.",
    "fig8": "Visual comparison for x3 SR on a COVID-CT test image.",
    "fig9": "Visual comparison for x3 SR on Non-COVID-CT test image.",
    "fig10": "Visual comparison for x4 SR on a Non-COVID-CT test image.",
    "fig11": "Visual comparison for x4 SR on a COVID-CT test image.",
}

#: IDMAN ablations (section 4.4), PSNR (dB): x2, the paper's 500-image DeepLesion validation set, after
#: 2 x 10^5 iterations. Keys are the variants of ``paperlib.experiments.idman.architecture.ABLATIONS``.
#: Table 1: feature extraction by Conv-ReLU-Conv or information distillation (channel attention in both).
IDMAN_TABLE1 = {"conv": 33.966, "info_distill": 34.012}
#: Table 2: MAB branches (Conv-ReLU-Conv extraction; "none" = the traditional channel attention). The
#: paper's text layer loses the columns of the check marks: 3x3 = 34.008 is stated in the text, 3+5 =
#: 34.014 equals Table 3's "MAB" column (the same model); 5 before 7 and 3+7 before 5+7 are the
#: natural row order, assumed.
IDMAN_TABLE2 = {
    "none": 33.966,
    "3": 34.008,
    "5": 34.013,
    "7": 34.006,
    "3+5": 34.014,
    "3+7": 34.013,
    "5+7": 34.016,
    "3+5+7": 34.018,
}
#: Table 3: neither module, information distillation only, MAB only, both (= IDMAN).
IDMAN_TABLE3 = {"neither": 33.966, "info_distill": 34.012, "mab": 34.014, "both": 34.022}
#: Table 4: IDMAN without and with weight normalisation.
IDMAN_TABLE4 = {"without_wn": 34.019, "idman": 34.022}

DISPLAY_NAMES = {
    "bicubic": "Bicubic",
    "srcnn": "SRCNN",
    "espcn": "ESPCN",
    "vdsr": "VDSR",
    "imdn": "IMDN",
    "pan": "PAN",
    "dridsr": "DRIDSR",
    "fsrcnn": "FSRCNN",
    "drrn": "DRRN",
    "edsr": "EDSR",
    "edsr_baseline": "EDSR-baseline",
    "mdsr": "MDSR",
    "rdn": "RDN",
    "rcan": "RCAN",
    "idman": "IDMAN",
}


#: The DRIDSR abstract's claims tested by the budget study: DRIDSR beats each of these at x4.
DRIDSR_CLAIM_BASELINES = ("imdn", "pan", "vdsr", "espcn", "srcnn")

#: The scales of IDMAN's comparison tables (Tables 5-8), in their column order.
IDMAN_COMPARE_SCALES = (2, 3, 4)
#: IDMAN Tables 5-8 (section 4.5): ``{metric: {method: (x2, x3, x4)}}``, the rows in the paper's order. Its
#: methods are trained on DeepLesion (10,000 images) and tested on 1,000 DeepLesion test images (Tables 5-6)
#: and on 500 random images of each TCIA set (Tables 7-8); PSNR/SSIM "calculated by the MATLAB".
#: Table 5: average PSNR (dB), DeepLesion testing set.
IDMAN_TABLE5 = {
    "psnr": {
        "bicubic": (22.373, 21.418, 20.755),
        "srcnn": (32.136, 28.871, 26.794),
        "fsrcnn": (32.162, 28.880, 26.900),
        "vdsr": (33.656, 30.367, 28.514),
        "drrn": (33.709, 30.485, 28.670),
        "edsr": (33.857, 30.649, 28.924),
        "mdsr": (33.858, 30.666, 28.937),
        "rdn": (33.973, 30.869, 29.255),
        "rcan": (33.993, 30.926, 29.343),
        "idman": (34.056, 30.952, 29.356),
    }
}
#: Table 6: average SSIM, DeepLesion testing set.
IDMAN_TABLE6 = {
    "ssim": {
        "bicubic": (0.7649, 0.7169, 0.6832),
        "srcnn": (0.9349, 0.8940, 0.8649),
        "fsrcnn": (0.9360, 0.8955, 0.8680),
        "vdsr": (0.9419, 0.9051, 0.8843),
        "drrn": (0.9429, 0.9056, 0.8847),
        "edsr": (0.9432, 0.9067, 0.8864),
        "mdsr": (0.9434, 0.9067, 0.8864),
        "rdn": (0.9441, 0.9079, 0.8889),
        "rcan": (0.9441, 0.9083, 0.8895),
        "idman": (0.9447, 0.9084, 0.8895),
    }
}
#: Table 7: average PSNR (dB) and SSIM, NSCLC Radiogenomics.
IDMAN_TABLE7 = {
    "psnr": {
        "bicubic": (24.795, 24.060, 23.477),
        "srcnn": (36.924, 33.518, 31.599),
        "fsrcnn": (37.152, 33.742, 31.746),
        "vdsr": (38.232, 35.062, 32.728),
        "drrn": (38.362, 35.234, 33.285),
        "edsr": (38.587, 35.399, 33.586),
        "mdsr": (38.590, 35.385, 33.481),
        "rdn": (38.735, 35.504, 33.700),
        "rcan": (38.722, 35.608, 33.871),
        "idman": (38.811, 35.658, 33.933),
    },
    "ssim": {
        "bicubic": (0.8132, 0.7848, 0.7643),
        "srcnn": (0.9723, 0.9517, 0.9377),
        "fsrcnn": (0.9727, 0.9525, 0.9387),
        "vdsr": (0.9742, 0.9567, 0.9446),
        "drrn": (0.9745, 0.9571, 0.9458),
        "edsr": (0.9748, 0.9574, 0.9465),
        "mdsr": (0.9750, 0.9573, 0.9463),
        "rdn": (0.9753, 0.9580, 0.9473),
        "rcan": (0.9753, 0.9582, 0.9478),
        "idman": (0.9755, 0.9584, 0.9479),
    },
}
#: Table 8: average PSNR (dB) and SSIM, Lung-PET-CT-Dx.
IDMAN_TABLE8 = {
    "psnr": {
        "bicubic": (24.990, 24.042, 23.163),
        "srcnn": (38.503, 33.622, 30.844),
        "fsrcnn": (38.688, 34.025, 31.157),
        "vdsr": (40.656, 35.773, 31.966),
        "drrn": (40.352, 35.858, 32.858),
        "edsr": (40.975, 36.455, 33.569),
        "mdsr": (41.030, 36.456, 33.472),
        "rdn": (41.159, 36.792, 33.882),
        "rcan": (41.222, 36.887, 34.198),
        "idman": (41.319, 36.981, 34.253),
    },
    "ssim": {
        "bicubic": (0.8404, 0.7994, 0.7620),
        "srcnn": (0.9814, 0.9530, 0.9262),
        "fsrcnn": (0.9818, 0.9544, 0.9280),
        "vdsr": (0.9841, 0.9612, 0.9375),
        "drrn": (0.9839, 0.9615, 0.9408),
        "edsr": (0.9845, 0.9628, 0.9436),
        "mdsr": (0.9846, 0.9627, 0.9430),
        "rdn": (0.9848, 0.9638, 0.9453),
        "rcan": (0.9849, 0.9641, 0.9463),
        "idman": (0.9850, 0.9644, 0.9465),
    },
}
#: Captions of Tables 5-8 and Figs. 8-9, verbatim (``×2`` written ``x2``). Fig. 10's caption is not in the
#: paper's text layer; its text says only "Under the ×4 scale SR ... Figure 10a ... Figure 10b".
IDMAN_COMPARISON_CAPTIONS = {
    "table5": "The average PSNR (dB) results of different algorithms on the DeepLesion testing set with different "
    "scaling factors.",
    "table6": "The average SSIM results of different algorithms on the DeepLesion testing set with different scaling "
    "factors.",
    "table7": "The average PSNR and SSIM results of different algorithms in NSCLC Radiogenomics dataset with different "
    "scaling factors.",
    "table8": "The average PSNR and SSIM results of different algorithms in Lung-PET-CT-Dx dataset with different "
    "scaling factors.",
    "fig8": "Images (a–d) show the visual results of different algorithms on DeepLesion testing set for scaling "
    "factor x2.",
    "fig9": "Images (a,b) show the visual results of different algorithms on DeepLesion testing set for scaling "
    "factor x3.",
    "fig10": "(caption not in the paper's text layer; the text: \"Under the ×4 scale SR, we can observe, from Figure "
    '10a, that the result of our method can better restore the original information")',
}
