"""Every tf.keras 2.x public name (the API golden lists of tf.keras 2.15, `tf_keras/api/golden/v2/*.pbtxt`,
checked in below) is either
exported by `from jeras import keras` at the same path, or listed in `jeras.keras._unsupported`
with the reason and what to use instead, which the AttributeError then says."""

import pytest

from jeras import keras
from jeras.keras._unsupported import UNSUPPORTED

TF_KERAS_2 = {
    "": """Input Model Sequential activations applications backend callbacks constraints datasets dtensor estimator
        experimental export initializers layers losses metrics mixed_precision models optimizers optimizers_legacy
        preprocessing regularizers saving utils wrappers""",
    "activations": """deserialize elu exponential gelu get hard_sigmoid linear relu selu serialize sigmoid softmax
        softplus softsign swish tanh""",
    "backend": """abs all any arange argmax argmin backend batch_dot batch_flatten batch_get_value batch_normalization
        batch_set_value bias_add binary_crossentropy binary_focal_crossentropy cast cast_to_floatx
        categorical_crossentropy categorical_focal_crossentropy clear_session clip concatenate constant conv1d conv2d conv2d_transpose conv3d cos
        count_params ctc_batch_cost ctc_decode ctc_label_dense_to_sparse cumprod cumsum depthwise_conv2d dot dropout
        dtype elu epsilon equal eval exp expand_dims experimental eye flatten floatx foldl foldr function gather
        get_uid get_value gradients greater greater_equal hard_sigmoid image_data_format in_test_phase in_top_k
        in_train_phase int_shape is_keras_tensor is_sparse l2_normalize learning_phase learning_phase_scope less
        less_equal local_conv1d local_conv2d log manual_variable_initialization map_fn max maximum mean min minimum
        moving_average_update name_scope ndim normalize_batch_in_training not_equal one_hot ones ones_like
        permute_dimensions placeholder pool2d pool3d pow print_tensor prod random_bernoulli random_binomial
        random_normal random_normal_variable random_uniform random_uniform_variable relu repeat repeat_elements
        reset_uids reshape resize_images resize_volumes reverse rnn round separable_conv2d set_epsilon set_floatx
        set_image_data_format set_learning_phase set_value shape sigmoid sign sin softmax softplus softsign
        sparse_categorical_crossentropy spatial_2d_padding spatial_3d_padding sqrt square squeeze stack std
        stop_gradient sum switch tanh temporal_padding tile to_dense transpose truncated_normal update update_add
        update_sub var variable zeros zeros_like""",
    "callbacks": """BackupAndRestore BaseLogger CSVLogger Callback CallbackList EarlyStopping History
        LambdaCallback LearningRateScheduler ModelCheckpoint ProgbarLogger ReduceLROnPlateau RemoteMonitor
        SidecarEvaluatorModelExport TensorBoard TerminateOnNaN experimental""",
    "constraints": """Constraint MaxNorm MinMaxNorm NonNeg RadialConstraint UnitNorm deserialize get max_norm min_max_norm
        non_neg radial_constraint serialize unit_norm""",
    "initializers": """Constant GlorotNormal GlorotUniform HeNormal HeUniform Identity Initializer LecunNormal LecunUniform
        Ones Orthogonal RandomNormal RandomUniform TruncatedNormal VarianceScaling Zeros constant deserialize get
        glorot_normal glorot_uniform he_normal he_uniform identity lecun_normal lecun_uniform ones orthogonal
        random_normal random_uniform serialize truncated_normal variance_scaling zeros""",
    "layers": """AbstractRNNCell Activation ActivityRegularization Add AdditiveAttention AlphaDropout Attention Average
        AveragePooling1D AveragePooling2D AveragePooling3D AvgPool1D AvgPool2D AvgPool3D BatchNormalization
        Bidirectional CategoryEncoding CenterCrop Concatenate Conv1D Conv1DTranspose Conv2D Conv2DTranspose Conv3D
        Conv3DTranspose ConvLSTM1D ConvLSTM2D ConvLSTM3D Convolution1D Convolution1DTranspose Convolution2D
        Convolution2DTranspose Convolution3D Convolution3DTranspose Cropping1D Cropping2D Cropping3D Dense DenseFeatures
        DepthwiseConv1D DepthwiseConv2D Discretization Dot Dropout ELU EinsumDense Embedding Flatten GRU GRUCell
        GaussianDropout GaussianNoise GlobalAveragePooling1D GlobalAveragePooling2D GlobalAveragePooling3D
        GlobalAvgPool1D GlobalAvgPool2D GlobalAvgPool3D GlobalMaxPool1D GlobalMaxPool2D GlobalMaxPool3D
        GlobalMaxPooling1D GlobalMaxPooling2D GlobalMaxPooling3D GroupNormalization HashedCrossing Hashing Identity Input
        InputLayer InputSpec
        IntegerLookup LSTM LSTMCell Lambda Layer LayerNormalization LeakyReLU LocallyConnected1D LocallyConnected2D
        Masking MaxPool1D MaxPool2D MaxPool3D MaxPooling1D MaxPooling2D MaxPooling3D Maximum Minimum MultiHeadAttention
        Multiply Normalization PReLU Permute RNN RandomBrightness RandomContrast RandomCrop RandomFlip RandomHeight
        RandomRotation RandomTranslation RandomWidth RandomZoom ReLU RepeatVector Rescaling Reshape Resizing
        SeparableConv1D SeparableConv2D SeparableConvolution1D SeparableConvolution2D SimpleRNN SimpleRNNCell Softmax
        SpatialDropout1D SpatialDropout2D SpatialDropout3D SpectralNormalization StackedRNNCells StringLookup Subtract TextVectorization
        ThresholdedReLU TimeDistributed UnitNormalization UpSampling1D UpSampling2D UpSampling3D Wrapper ZeroPadding1D
        ZeroPadding2D ZeroPadding3D add average concatenate deserialize dot experimental maximum minimum multiply
        serialize subtract""",
    "losses": """BinaryCrossentropy BinaryFocalCrossentropy CategoricalCrossentropy CategoricalFocalCrossentropy
        CategoricalHinge CosineSimilarity Hinge Huber KLDivergence LogCosh
        Loss MeanAbsoluteError MeanAbsolutePercentageError MeanSquaredError MeanSquaredLogarithmicError Poisson
        Reduction SparseCategoricalCrossentropy SquaredHinge KLD MAE MAPE MSE MSLE binary_crossentropy
        binary_focal_crossentropy categorical_crossentropy categorical_focal_crossentropy categorical_hinge cosine_similarity deserialize get hinge huber kl_divergence kld
        kullback_leibler_divergence log_cosh logcosh mae mape mean_absolute_error mean_absolute_percentage_error
        mean_squared_error mean_squared_logarithmic_error mse msle poisson serialize sparse_categorical_crossentropy
        squared_hinge""",
    "metrics": """AUC Accuracy BinaryAccuracy BinaryCrossentropy BinaryIoU CategoricalAccuracy CategoricalCrossentropy
        CategoricalHinge CosineSimilarity F1Score FBetaScore FalseNegatives FalsePositives Hinge IoU KLDivergence LogCoshError Mean MeanAbsoluteError
        MeanAbsolutePercentageError MeanIoU MeanMetricWrapper MeanRelativeError MeanSquaredError
        MeanSquaredLogarithmicError MeanTensor Metric OneHotIoU OneHotMeanIoU Poisson Precision PrecisionAtRecall R2Score
        Recall RecallAtPrecision RootMeanSquaredError SensitivityAtSpecificity SparseCategoricalAccuracy SparseCategoricalCrossentropy
        SparseTopKCategoricalAccuracy SpecificityAtSensitivity SquaredHinge Sum TopKCategoricalAccuracy TrueNegatives
        TruePositives experimental KLD MAE MAPE MSE MSLE binary_accuracy binary_crossentropy binary_focal_crossentropy
        categorical_accuracy categorical_crossentropy categorical_focal_crossentropy deserialize get hinge kl_divergence kld kullback_leibler_divergence log_cosh logcosh
        mae mape mean_absolute_error mean_absolute_percentage_error mean_squared_error mean_squared_logarithmic_error
        mse msle poisson serialize sparse_categorical_accuracy sparse_categorical_crossentropy
        sparse_top_k_categorical_accuracy squared_hinge top_k_categorical_accuracy""",
    "models": """Model Sequential clone_model experimental load_model model_from_config model_from_json model_from_yaml
        save_model""",
    "optimizers": """Adadelta Adafactor Adagrad Adam AdamW Adamax Ftrl Lion Nadam Optimizer RMSprop SGD deserialize experimental
        get legacy schedules serialize""",
    "optimizers.schedules": """CosineDecay CosineDecayRestarts ExponentialDecay InverseTimeDecay LearningRateSchedule
        PiecewiseConstantDecay PolynomialDecay deserialize serialize""",
    "regularizers": """L1 L1L2 L2 OrthogonalRegularizer Regularizer deserialize get l1 l1_l2 l2 orthogonal_regularizer
        serialize""",
    "utils": """CustomObjectScope FeatureSpace GeneratorEnqueuer OrderedEnqueuer Progbar Sequence SequenceEnqueuer
        SidecarEvaluator StepsPerExecutionTuner TimedThread legacy array_to_img audio_dataset_from_directory custom_object_scope deserialize_keras_object disable_interactive_logging
        enable_interactive_logging experimental get_custom_objects get_file get_registered_name get_registered_object
        get_source_inputs image_dataset_from_directory img_to_array is_interactive_logging_enabled load_img
        model_to_dot normalize pack_x_y_sample_weight pad_sequences plot_model register_keras_serializable save_img
        serialize_keras_object set_random_seed split_dataset text_dataset_from_directory
        timeseries_dataset_from_array to_categorical to_ordinal unpack_x_y_sample_weight warmstart_embedding_matrix""",
}


def _module(path):
    obj = keras
    for part in filter(None, path.split(".")):
        obj = getattr(obj, part)
    return obj


@pytest.mark.parametrize("path", sorted(TF_KERAS_2))
def test_every_tf_keras_name_is_exported_or_listed_with_a_reason(path):
    module = _module(path)
    names = TF_KERAS_2[path].split()
    listed = UNSUPPORTED.get(path, {})
    unaccounted = [n for n in names if not hasattr(module, n) and n not in listed]
    assert unaccounted == [], f"keras.{path} lacks {unaccounted} and does not list them in keras._unsupported"
    # The list stays honest: a listed name is a tf.keras name that jeras indeed lacks.
    assert [n for n in listed if n not in names or hasattr(module, n)] == []


@pytest.mark.parametrize("path", sorted(p for p in UNSUPPORTED if UNSUPPORTED[p]))
def test_unsupported_names_raise_attribute_errors_with_the_reason(path):
    module = _module(path)
    for name, reason in UNSUPPORTED[path].items():
        with pytest.raises(AttributeError) as info:
            getattr(module, name)
        assert "tf.keras 2.x name that jeras does not provide" in str(info.value) and reason in str(info.value)


def test_supported_share_and_unknown_names():
    supported = sum(len(v.split()) for v in TF_KERAS_2.values()) - sum(len(v) for v in UNSUPPORTED.values())
    assert supported >= 370  # a floor: it only grows
    with pytest.raises(AttributeError, match="has no attribute 'NotAKerasName'"):
        keras.layers.NotAKerasName  # noqa: B018
    assert not hasattr(keras.layers, "DenseFeatures")
    assert [m for m in dir(keras.layers) if "relu" in m.lower()] == ["LeakyReLU", "PReLU", "ReLU", "ThresholdedReLU"]
    assert keras.__version__ == "2.15.0"
