package io.gradguard;

import java.util.List;

/**
 * What a {@link StepObserver} may ask about the current step beyond its {@link StepReport}. Valid
 * only during {@link StepObserver#onStep}; methods that compute on the device say so.
 */
public interface StepDetails {

    /**
     * Returns the names of the parameters whose gradients took part in the step.
     *
     * @return the names, index-aligned with {@link #parameterNorms()}
     */
    List<String> parameterNames();

    /**
     * Returns each parameter's pre-clip L2 gradient norm (true-gradient units), computed on demand
     * and read back to the host: one fused pass over the gradients and one transfer. For a skipped
     * non-finite step, the norms of the raw gradients (NaN or infinite where the fault is).
     *
     * @return the norms, index-aligned with {@link #parameterNames()}
     */
    float[] parameterNorms();

    /**
     * Returns the dataset indices of the examples in the step's last batch, when the batch carries
     * them (DJL's {@code Batch.getIndices()}); an empty list otherwise.
     *
     * @return the indices, as the dataset reported them
     */
    List<?> datasetIndices();

    /**
     * Returns details that know nothing: no parameters, no norms, no dataset indices. What an
     * observer sees for a report that was read after its step had ended.
     *
     * @return the empty details
     */
    static StepDetails none() {
        return NoStepDetails.INSTANCE;
    }
}
