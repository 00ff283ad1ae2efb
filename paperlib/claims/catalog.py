"""Every testable claim of both papers, in the papers' own words (one place; the ledger joins each to its evidence).

Each entry: ``id`` (paper-prefixed), ``where`` (section / table / figure), ``kind`` (numeric or qualitative),
``quote`` (a verbatim substring of the paper's text with runs of whitespace made single spaces; checked by
``tests/test_claims.py`` against ``../shared/papers`` when present), ``claim`` (our neutral restatement as a
testable proposition) and ``paper_value`` (only a number the paper prints, or a margin of two printed values
named in ``claim``). Extraction artefacts of the text files are kept: IDMAN's "2× 105" is 2x10^5.
"""

from __future__ import annotations

CLAIMS = (
    dict(
        id="dridsr.psnr_margins_x3",
        paper="dridsr",
        where="Abstract (Results) / Table 1",
        kind="numeric",
        quote=(
            "The DRIDSR reconstruction quality of the algorithm is higher than that of the SRCNN, ESPCN, "
            "VDSR, IMDN and PAN method (+2.21 dB, +2.41 dB, +1.42 dB, +0.43 dB, +0.54 dB improvement, "
            "respectively) at $\\times 3$ upscale factor"
        ),
        claim=(
            "On the COVID-CT test set at x3, DRIDSR PSNR (34.47) exceeds SRCNN 32.26 / ESPCN 32.06 / VDSR "
            "33.05 / IMDN 34.04 / PAN 33.93 by +2.21/+2.41/+1.42/+0.43/+0.54 dB; paper_value is the margin "
            "over the strongest baseline IMDN (34.47 - 34.04)."
        ),
        paper_value=0.43,
        unit="dB",
    ),
    dict(
        id="dridsr.psnr_margins_x4",
        paper="dridsr",
        where="Abstract (Results) / Table 1",
        kind="numeric",
        quote=(
            "(+2.35 dB, +2.17 dB, +1.59 dB, +0.48 dB, +0.56 dB increase, respectively) at $\\times 4$ upscale factor"
        ),
        claim=(
            "On the COVID-CT test set at x4, DRIDSR PSNR (31.89) exceeds SRCNN 29.54 / ESPCN 29.72 / VDSR "
            "30.30 / IMDN 31.41 / PAN 31.33 by +2.35/+2.17/+1.59/+0.48/+0.56 dB; paper_value is the margin "
            "over the strongest baseline IMDN (31.89 - 31.41)."
        ),
        paper_value=0.48,
        unit="dB",
    ),
    dict(
        id="dridsr.bicubic_x3",
        paper="dridsr",
        where="Table 1 (Bicubic row, x3)",
        kind="numeric",
        quote="Bicubic $\\times 3$ 29.11 0.8274 0.9619 9.1833",
        claim=(
            "Bicubic upsampling of the bicubic-downsampled x3 COVID-CT test images gives PSNR 29.11 dB (SSIM "
            "0.8274, MS-SSIM 0.9619, PI 9.1833); a check of the data/degradation/metric pipeline."
        ),
        paper_value=29.11,
        unit="dB",
    ),
    dict(
        id="dridsr.bicubic_x4",
        paper="dridsr",
        where="Table 1 (Bicubic row, x4)",
        kind="numeric",
        quote="Bicubic $\\times 4$ 26.85 0.7550 0.9369 9.4331",
        claim=(
            "Bicubic upsampling at x4 on the COVID-CT test images gives PSNR 26.85 dB (SSIM 0.7550, MS-SSIM "
            "0.9369, PI 9.4331)."
        ),
        paper_value=26.85,
        unit="dB",
    ),
    dict(
        id="dridsr.ssim_best",
        paper="dridsr",
        where="Sec. 4.3 / Table 1",
        kind="numeric",
        quote=(
            "As shown in Table 1, our DRIDSR has higher PSNR and SSIM, which shows that the quality of SR "
            "results is better than other SOTA methods and more similar to HR images."
        ),
        claim=(
            "DRIDSR has the highest SSIM of all methods in Table 1 at both x3 (0.8874 vs next-best VDSR "
            "0.8861) and x4 (0.8406 vs next-best PAN 0.8360)."
        ),
        paper_value=None,
        unit=None,
    ),
    dict(
        id="dridsr.msssim_pi_best",
        paper="dridsr",
        where="Sec. 4.3 / Table 1",
        kind="numeric",
        quote="In addition, the proposed method achieves the highest MS-SSIM and the lowest PI.",
        claim=(
            "DRIDSR has the highest MS-SSIM (x3 0.9805, x4 0.9714) and the lowest (best) PI (x3 7.1783, x4 "
            "7.8248) of all methods in Table 1."
        ),
        paper_value=None,
        unit=None,
    ),
    dict(
        id="dridsr.params",
        paper="dridsr",
        where="Sec. 5 / Table 2",
        kind="numeric",
        quote=(
            "Compared with other low parameters models such as VDSR and IMDN, our DRIDSRS has only 0.52 M and"
            " obtain the best SR performance."
        ),
        claim="The x4 DRIDSR model has about 0.52 M parameters (Table 2 also lists 32 layers).",
        paper_value=520000.0,
        unit="params",
    ),
    dict(
        id="dridsr.params_ordering",
        paper="dridsr",
        where="Sec. 4.3 / Table 2",
        kind="numeric",
        quote=(
            "Although our DRIDSRS model has fewer parameters than VDSR and IMDN (Second only to PAN), the SR "
            "results are much better."
        ),
        claim=(
            "Parameter counts order PAN (0.27 M) < DRIDSR (0.52 M) < VDSR (0.67 M) < IMDN (0.71 M), while "
            "DRIDSR has the best x4 PSNR of the four."
        ),
        paper_value=None,
        unit=None,
    ),
    dict(
        id="dridsr.runtime",
        paper="dridsr",
        where="Sec. 4.3 / Table 2",
        kind="numeric",
        quote=(
            "It can be seen from Table 2 that our DRIDSRS has a faster inference speed while maintaining "
            "excellent SR performance."
        ),
        claim=(
            "x4 feed-forward time of DRIDSR is 0.0548 s per test image (GTX 1080 Ti), faster than VDSR "
            "(0.0825 s) and IMDN (0.0638 s) but slower than PAN (0.0427 s)."
        ),
        paper_value=0.0548,
        unit="s",
    ),
    dict(
        id="dridsr.abstract_params_time_reduced",
        paper="dridsr",
        where="Abstract (Results)",
        kind="qualitative",
        quote="While the number of parameters and analysis time of our model are reduced.",
        claim=(
            "DRIDSR has fewer parameters and a shorter inference time than the compared methods (per Table 2 "
            "this holds vs VDSR and IMDN, not vs PAN)."
        ),
        paper_value=None,
        unit=None,
    ),
    dict(
        id="dridsr.all_scales_all_datasets",
        paper="dridsr",
        where="Sec. 4.3",
        kind="qualitative",
        quote=(
            "Compared with all previous methods, our DRIDSR performs better than other methods on all "
            "datasets with all scaling factors."
        ),
        claim=(
            "DRIDSR beats every compared method on every evaluated dataset and scale (in practice: COVID-CT "
            "only, x3 and x4)."
        ),
        paper_value=None,
        unit=None,
    ),
    dict(
        id="dridsr.gradient_path_convergence",
        paper="dridsr",
        where="Sec. 1 contribution (3) / Sec. 6 Conclusions",
        kind="qualitative",
        quote=(
            "By training the residuals of the image gradient features, the network can converge faster and "
            "obtain better high-frequency features."
        ),
        claim=(
            "With the Sobel gradient identity path, DRIDSR reaches a given training loss / validation PSNR in"
            " fewer epochs than the same network without it (no curve or number is given)."
        ),
        paper_value=None,
        unit=None,
    ),
    dict(
        id="dridsr.gradient_path_quality",
        paper="dridsr",
        where="Sec. 3.2",
        kind="qualitative",
        quote=(
            "Therefore, fusing the information of the gradient identity path can effectively improve the "
            "quality of the SR image."
        ),
        claim=(
            "Removing the gradient identity path (Sobel edge map -> conv added to the RIDM output) lowers "
            "test PSNR/SSIM (no ablation number is given)."
        ),
        paper_value=None,
        unit=None,
    ),
    dict(
        id="dridsr.sobel_vs_canny",
        paper="dridsr",
        where="Sec. 4.2 / Fig. 5",
        kind="qualitative",
        quote=(
            "Because the texture information of CT images is relatively simple, there is no need to use the "
            "complex edge detector such as Canny [39]. Moreover, Canny relies on the threshold parameter, "
            "which affects the performance of the high-frequency path."
        ),
        claim=(
            "A Sobel gradient path gives SR quality at least as good as a Canny (thresholds 60/120) gradient "
            "path, and Sobel maps keep the main edges while Canny adds redundant edges (Fig. 5; no numbers "
            "given)."
        ),
        paper_value=None,
        unit=None,
    ),
    dict(
        id="dridsr.frequency_separation",
        paper="dridsr",
        where="Sec. 4.3 / Fig. 6",
        kind="qualitative",
        quote=(
            "It is revealed that the proposed method can significantly separate the high and low frequency "
            "information of the input image."
        ),
        claim=(
            "The output of the low-frequency path is dominated by low spatial frequencies (rough outline) and"
            " the output of the high-frequency path by high frequencies (texture/detail), e.g. measurable by "
            "the radial power spectrum of the two feature maps."
        ),
        paper_value=None,
        unit=None,
    ),
    dict(
        id="dridsr.two_paths_better",
        paper="dridsr",
        where="Sec. 1 / Sec. 5",
        kind="qualitative",
        quote=(
            "Separate reconstruction of low-frequency information and high-frequency information can obtain "
            "better SR results."
        ),
        claim=(
            "The double-path design (low-frequency path + high-frequency path) gives higher PSNR than a "
            "single-path network of similar size (no ablation given)."
        ),
        paper_value=None,
        unit=None,
    ),
    dict(
        id="dridsr.simple_idb",
        paper="dridsr",
        where="Sec. 3.4 / Fig. 3",
        kind="qualitative",
        quote=(
            "This simple structure can filter information effectively. In addition, it is more flexible than "
            "the original IDB and improves the network performance."
        ),
        claim=(
            "The redesigned IDB (1x1 conv for coarse features, 3x3 conv for refined features) gives higher "
            "PSNR than the original IMDN-style IDB (3x3 conv then channel split) (no ablation number given)."
        ),
        paper_value=None,
        unit=None,
    ),
    dict(
        id="dridsr.ridm_refines_hf",
        paper="dridsr",
        where="Sec. 1 contribution (1) / Sec. 5 / Sec. 6",
        kind="qualitative",
        quote=(
            "Second, in the high-frequency path, we use the interaction between the residual block and the "
            "IDB, so that the high-frequency path can refine the high-frequency information better."
        ),
        claim=(
            "RIDM (residual blocks interleaved with IDBs, fused by 1x1 conv) improves SR quality, esp. small "
            "nodules, over a plain residual-block high-frequency path (no ablation given)."
        ),
        paper_value=None,
        unit=None,
    ),
    dict(
        id="dridsr.edges_visual",
        paper="dridsr",
        where="Sec. 5 / Figs. 7-11",
        kind="qualitative",
        quote="For Fig. 8 and Fig. 10, the SR result generated by our DRIDSRS has a clearer edge of lung.",
        claim=(
            "DRIDSR SR images show sharper lung edges, GGO outlines and small nodules than the baselines "
            "(visual; PAN edges 'not sharp enough'), e.g. testable by an edge/gradient-magnitude error "
            "metric."
        ),
        paper_value=None,
        unit=None,
    ),
    dict(
        id="dridsr.simple_models_suffice",
        paper="dridsr",
        where="Sec. 5 Discussion",
        kind="qualitative",
        quote=(
            "We believe that the super-resolution of CT images does not require too complex models, and often"
            " simple models can achieve good results."
        ),
        claim=(
            "On lung CT, small models (~0.5 M params) match or beat larger ones, i.e. PSNR saturates with model size."
        ),
        paper_value=None,
        unit=None,
    ),
    dict(
        id="idman.abstract_outperforms",
        paper="idman",
        where="Abstract / Sec. 5 Conclusions",
        kind="qualitative",
        quote=(
            "the results show that our method outperforms the previous algorithms and has a better "
            "performance of medical CT image reconstruction in the objective evaluation and visual effect."
        ),
        claim=(
            "IDMAN beats all compared methods (Bicubic, SRCNN, FSRCNN, VDSR, DRRN, EDSR, MDSR, RDN, RCAN) in "
            "PSNR/SSIM on the three CT test sets at x2/x3/x4, and looks better."
        ),
        paper_value=None,
        unit=None,
    ),
    dict(
        id="idman.deeplesion_margin_x2",
        paper="idman",
        where="Sec. 4.5 / Table 5",
        kind="numeric",
        quote=(
            "Compared with the methods based on deep learning, PSNR and SSIM improved by 0.063~1.92 dB and "
            "0.06~0.98% when the scaling factor was ×2."
        ),
        claim=(
            "On the DeepLesion test set (1000 images) at x2 IDMAN PSNR 34.056 beats every deep baseline, by "
            "0.063 dB over RCAN 33.993 (paper_value) up to 1.92 dB over SRCNN 32.136."
        ),
        paper_value=0.063,
        unit="dB",
    ),
    dict(
        id="idman.deeplesion_margin_x3_x4",
        paper="idman",
        where="Sec. 4.5 / Table 5",
        kind="numeric",
        quote=(
            "Under scaling factor ×3, PSNR and SSIM increased by 0.026~2.081 dB and 0.01~1.44%. Under ×4, "
            "they increased by 0.013~2.562 dB and 0~2.46%, respectively."
        ),
        claim=(
            "On DeepLesion IDMAN beats RCAN by only 0.026 dB at x3 (30.952 vs 30.926) and 0.013 dB at x4 "
            "(29.356 vs 29.343; paper_value), with SSIM tied with RCAN at x4 (0.8895)."
        ),
        paper_value=0.013,
        unit="dB",
    ),
    dict(
        id="idman.deeplesion_ssim_best",
        paper="idman",
        where="Table 6",
        kind="numeric",
        quote="RCAN 0.9441 0.9083 0.8895 IDMAN (ours) 0.9447 0.9084 0.8895",
        claim=(
            "IDMAN's DeepLesion SSIM is >= every baseline at x2/x3/x4 (0.9447/0.9084/0.8895), strictly above "
            "RCAN at x2/x3 and equal at x4."
        ),
        paper_value=None,
        unit=None,
    ),
    dict(
        id="idman.bicubic_deeplesion",
        paper="idman",
        where="Table 5 / Table 6 (Bicubic rows)",
        kind="numeric",
        quote="Bicubic 22.373 21.418 20.755",
        claim=(
            "Bicubic PSNR on the DeepLesion test set is 22.373/21.418/20.755 dB at x2/x3/x4 (SSIM "
            "0.7649/0.7169/0.6832); paper_value is x2. The paper's stated IDMAN - Bicubic gap is 8.601~11.683"
            " dB (x4: 29.356 - 20.755; x2: 34.056 - 22.373), and its SSIM '17.98~20.63%' gap is an absolute "
            "(x100) SSIM difference."
        ),
        paper_value=22.373,
        unit="dB",
    ),
    dict(
        id="idman.nsclc_best",
        paper="idman",
        where="Sec. 4.5 / Table 7",
        kind="numeric",
        quote=(
            "Under ×2 scale, compared with other methods, the improvements of IDMAN in PSNR and SSIM are "
            "0.076~14.016 dB and 0.02~16.23%."
        ),
        claim=(
            "On NSCLC Radiogenomics (500 test images) IDMAN has the best PSNR/SSIM at all scales; the "
            "smallest PSNR margin is 0.076 dB at x2 over RDN (38.811 vs 38.735; paper_value), 0.05 dB at x3 "
            "and 0.062 dB at x4 over RCAN."
        ),
        paper_value=0.076,
        unit="dB",
    ),
    dict(
        id="idman.lungpet_best",
        paper="idman",
        where="Sec. 4.5 / Table 8",
        kind="numeric",
        quote=(
            "The improvements of PSNR are 0.097~16.329 dB, 0.094~12.939 dB and 0.055~11.09 dB for ×2, ×3 and "
            "×4 scaling factors."
        ),
        claim=(
            "On Lung-PET-CT-Dx (500 test images) IDMAN has the best PSNR/SSIM at all scales; margins over "
            "RCAN are 0.097 dB at x2 (41.319 vs 41.222; paper_value), 0.094 dB at x3 and 0.055 dB at x4."
        ),
        paper_value=0.097,
        unit="dB",
    ),
    dict(
        id="idman.bicubic_external",
        paper="idman",
        where="Table 7 / Table 8 (Bicubic rows)",
        kind="numeric",
        quote="Bicubic 24.795 0.8132 24.060 0.7848 23.477 0.7643",
        claim=(
            "Bicubic PSNR/SSIM on NSCLC is 24.795/0.8132, 24.060/0.7848, 23.477/0.7643 at x2/x3/x4 "
            "(paper_value = x2 PSNR); on Lung-PET-CT-Dx 24.990/0.8404, 24.042/0.7994, 23.163/0.7620."
        ),
        paper_value=24.795,
        unit="dB",
    ),
    dict(
        id="idman.lower_scale_better",
        paper="idman",
        where="Sec. 4.5",
        kind="qualitative",
        quote=(
            "In either case, the reconstruction effect of the low scaling factor is better than the high "
            "scaling factor."
        ),
        claim="For every method and test set, PSNR/SSIM at x2 > x3 > x4.",
        paper_value=None,
        unit=None,
    ),
    dict(
        id="idman.srcnn_worst_deep",
        paper="idman",
        where="Sec. 4.5 / Tables 5-8",
        kind="qualitative",
        quote=(
            "It can be clearly observed that the reconstruction effect of SRCNN with only three layers is the"
            " worst among these methods based on deep learning"
        ),
        claim=(
            "SRCNN has the lowest PSNR/SSIM of the deep-learning methods on all test sets and scales (Bicubic"
            " lower still)."
        ),
        paper_value=None,
        unit=None,
    ),
    dict(
        id="idman.info_distill_ablation",
        paper="idman",
        where="Sec. 4.4 / Table 1 / Fig. 5",
        kind="numeric",
        quote=(
            "compared with the traditional convolution operation, using information distillation to extract "
            "features can effectively improve PSNR"
        ),
        claim=(
            "Swapping Conv-ReLU-Conv for information distillation (with plain channel attention) raises x2 "
            "validation PSNR after 2x10^5 iterations from 33.966 to 34.012 dB (+0.046 dB = paper_value)."
        ),
        paper_value=0.046,
        unit="dB",
    ),
    dict(
        id="idman.mab_single_branch_convs",
        paper="idman",
        where="Sec. 4.4 / Table 2",
        kind="numeric",
        quote=(
            "For instance, the PSNR increased from 33.966 dB to 34.008 dB when we added two 3× 3 convolution "
            "layers based on traditional channel attention."
        ),
        claim=(
            "Adding the two 3x3 convs of a single-branch MAB to plain channel attention raises x2 validation "
            "PSNR by 0.042 dB (34.008 - 33.966)."
        ),
        paper_value=0.042,
        unit="dB",
    ),
    dict(
        id="idman.mab_multi_branch",
        paper="idman",
        where="Sec. 4.4 / Table 2",
        kind="numeric",
        quote="In other words, the performance of multiple branches was better than that of a single branch.",
        claim=(
            "Two-branch MABs (34.013-34.016 dB) beat single-branch MABs (34.006-34.013 dB) in x2 validation "
            "PSNR; note the lowest 2-branch value equals the highest 1-branch value."
        ),
        paper_value=None,
        unit=None,
    ),
    dict(
        id="idman.mab_three_branch_best",
        paper="idman",
        where="Sec. 4.4 / Table 2",
        kind="numeric",
        quote="The MAB with 3 × 3, 5 × 5, and 7 × 7 branches works better than the MAB with one or two branches.",
        claim=(
            "The 3-branch (3x3+5x5+7x7) MAB gives the best x2 validation PSNR in Table 2 (34.018 dB, "
            "paper_value), without information distillation; IDMAN itself uses 3x3+5x5 only (GPU memory)."
        ),
        paper_value=34.018,
        unit="dB",
    ),
    dict(
        id="idman.modules_combined_best",
        paper="idman",
        where="Sec. 4.4 / Table 3",
        kind="numeric",
        quote=(
            "When two modules are added at the same time, based on information distillation to the extract "
            "feature and the combination with MAB, the experimental results are the best (PSNR = 34.022 dB)."
        ),
        claim=(
            "Info-distill + MAB gives the best x2 validation PSNR, 34.022 dB (vs 33.966 neither, 34.012 "
            "distill only, 34.014 MAB only) after 2x10^5 iterations."
        ),
        paper_value=34.022,
        unit="dB",
    ),
    dict(
        id="idman.wn_psnr",
        paper="idman",
        where="Sec. 4.4 / Table 4",
        kind="numeric",
        quote="From Table 4, it can be seen that IDMAN with WN can get the higher PSNR value.",
        claim=(
            "Weight normalisation on the conv layers raises x2 validation PSNR after 2x10^5 iterations from "
            "34.019 to 34.022 dB (+0.003 dB = paper_value)."
        ),
        paper_value=0.003,
        unit="dB",
    ),
    dict(
        id="idman.wn_convergence",
        paper="idman",
        where="Sec. 4.4 / Fig. 6",
        kind="qualitative",
        quote=(
            "Therefore, WN can accelerate the convergence of IDMAN and help the network to better learn the "
            "feature information."
        ),
        claim=(
            "IDMAN with weight normalisation converges faster and more stably (training curve over ~100+ "
            "epochs) than IDMAN without WN."
        ),
        paper_value=None,
        unit=None,
    ),
    dict(
        id="idman.convergence_vs_rcan",
        paper="idman",
        where="Sec. 4.5 / Fig. 7",
        kind="qualitative",
        quote=(
            "Before approximately 200 epochs, the convergence speed of the IDMAN was slightly faster than "
            "RCAN, and the PSNR value of IDMAN mostly outperformed the other."
        ),
        claim=(
            "During training, IDMAN's validation PSNR rises slightly faster than RCAN's and is mostly higher "
            "up to ~200 epochs, while RCAN's L1 loss falls faster before ~100 epochs; both plateau by "
            "~200-300 epochs."
        ),
        paper_value=None,
        unit=None,
    ),
    dict(
        id="idman.visual_edges",
        paper="idman",
        where="Sec. 4.5 / Figs. 8-10",
        kind="qualitative",
        quote=(
            "On the whole, The IDMAN proposed in this paper can reconstruct clearer edges and more realistic textures."
        ),
        claim=(
            "IDMAN SR images have sharper edges and more realistic texture than the baselines at x2/x3/x4 "
            "(visual; testable by an edge/gradient error metric)."
        ),
        paper_value=None,
        unit=None,
    ),
    dict(
        id="idman.large_slow",
        paper="idman",
        where="Sec. 5 Conclusions",
        kind="qualitative",
        quote=(
            "Because the network is very deep, the parameter is very large and limited by the hardware, and "
            "the training time is relatively long."
        ),
        claim=(
            "IDMAN (10 IDMAG x 20 IDMAB) has a large parameter count and long training time (no number "
            "reported; comparable to RCAN's 10x20 design)."
        ),
        paper_value=None,
        unit=None,
    ),
)

#: The papers' training budgets, in their words (the ledger states ours as a fraction of these).
BUDGET_QUOTES = {
    "dridsr": dict(
        where="Sec. 4.1 Datasets + Sec. 4.2 Implementation details",
        quote=(
            "In the division of the dataset, we used 600 images for training, 100 images were verified in "
            "training, and finally 46 images were tested. 4.2. Implementation details In view of the common "
            "magnification in the clinical medical field, we only trained the SR network with an up-scale "
            "factor m ($m = 3, 4$). For preparing the input LR images, we downsample the original HR image "
            "with an upscaling factor m by using a bicubic downsampling operation to generate the "
            "corresponding LR image. We crop 192×192 patches from the HR images. Then according to the "
            "upscaling factor m , the corresponding LR patches size is $\\frac{192}{m} \\times \\frac{192}{m}$. "
            "We obtained 1498 LR-HR patch pairs. The batch size is set to 64. For data augmentation, we "
            "perform randomly horizontal flip and 90° , 180° , 270° rotation. We set the kernel size to 3×3 ,"
            " and the stride and padding to 1 to maintain the feature maps size of the convolutional layers "
            "unchanged. For 5×5 Conv, we set the padding to 2. All activations in our network are ReLU. We "
            "use Adam optimizer [19], where $\\beta_1 = 0.9$, $\\beta_2 = 0.999$, and $\\epsilon = 10^{-8}$. The"
            " learning rate is initially set to 1×10^{-3} and halved at every 30 epochs. The final learning "
            "rate is 1×10^{-5} , and we stop training after 200 epochs."
        ),
    ),
    "idman": dict(
        where="Sec. 4.1 Dataset + Sec. 4.2 Implementation Details (also Tables 1-4 captions: "
        "'after 2× 105 iterations'; Fig. 7 text: '200 to 300 epochs')",
        quote=(
            "We randomly selected 11,500 high-quality CT images, of which 10,000 were used for training, 500 "
            "for validating and 1000 for testing. The dataset needed to be preprocessed, which was achieved "
            "through downsampling by bicubic interpolation through MATLAB R2017b. In this way, the HR images "
            "were degraded into the LR images to form the image pair for training. Then, we augmented the "
            "training set, which was randomly rotated by 90◦, 180◦, 270◦ and flipped horizontally to improve "
            "the generalization ability. For the testing sets, we also used two public medical image "
            "datasets, NSCLC Radiogenomics and Lung-PET-CT-Dx from TCIA [30], and randomly selected 500 "
            "medical images from each of these two datasets for testing. 4.2. Implementation Details In our "
            "method, the number of IDMAG is set to 10 and the number of IDMAB is set to 20. Because of the "
            "GPU limitations, the batch size is set to 10. We take the LR image and corresponding HR image as"
            " the input and crop the patch with the size of 48× 48, and the reduction ratio r of MAB is set "
            "to 16. We choose the L1 loss function and use the ADAM Optimizer [31], with β1 = 0.9, β2 = "
            "0.999, ε = 10−8. The initial learning rate is set to 10−4, and the learning rate is decreased by"
            " half every 2× 105 iterations."
        ),
    ),
}
