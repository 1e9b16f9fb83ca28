package io.gradguard.internal;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.training.optimizer.Adadelta;
import ai.djl.training.optimizer.Adagrad;
import ai.djl.training.optimizer.Adam;
import ai.djl.training.optimizer.AdamW;
import ai.djl.training.optimizer.Nag;
import ai.djl.training.optimizer.Optimizer;
import ai.djl.training.optimizer.RmsProp;
import ai.djl.training.optimizer.Sgd;
import java.lang.reflect.Field;
import java.lang.reflect.Modifier;
import java.lang.reflect.Type;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The state that DJL's optimizers keep in memory and never save, reached through their private
 * fields. <b>Pinned to DJL {@value #PINNED_DJL_VERSION}</b>: DJL offers no public access to an
 * optimizer's moments or update counts, so this class reads and replaces the fields of that version
 * by name:
 *
 * <ul>
 *   <li>{@code Optimizer.updateCounts} ({@code Map<String, Integer>}, per parameter id), {@code
 *       Optimizer.numUpdate} ({@code int}, the largest count so far, which DJL's optimizers use as
 *       the step {@code t}) and {@code Optimizer.beginNumUpdate} ({@code int});
 *   <li>per optimizer class, its {@code Map<String, Map<Device, NDArray>>} state fields (parameter
 *       id, then device): see {@link #slots(String)}.
 * </ul>
 *
 * Only the exact classes listed in {@link #kindOf} are supported: a subclass may keep state of its
 * own. A DJL upgrade that renames or retypes one of these fields makes every access throw an {@link
 * IllegalStateException} naming the field and the pinned version (and a test checks them).
 */
public final class DjlOptimizerState {

    /** The DJL version whose private optimizer fields this class reads. */
    public static final String PINNED_DJL_VERSION = "0.35.1";

    private static final String COUNTS = "updateCounts";
    private static final String NUM_UPDATE = "numUpdate";
    private static final String BEGIN = "beginNumUpdate";

    /** A supported optimizer class, its stable name and its state fields. */
    private record Kind(Class<? extends Optimizer> type, String name, List<String> slots) {}

    private static final List<Kind> KINDS =
            List.of(
                    new Kind(Adam.class, "adam", List.of("means", "variances")),
                    new Kind(AdamW.class, "adamW", List.of("means", "variances")),
                    new Kind(Sgd.class, "sgd", List.of("momentumStates")),
                    new Kind(Nag.class, "nag", List.of("momentumStates")),
                    new Kind(RmsProp.class, "rmsProp", List.of("means", "variances", "momentums")),
                    new Kind(Adagrad.class, "adagrad", List.of("history")),
                    new Kind(Adadelta.class, "adadelta", List.of("accumG", "accumDelta")));

    private DjlOptimizerState() {}

    /**
     * Returns the stable name of a supported optimizer: {@code adam}, {@code adamW}, {@code sgd},
     * {@code nag}, {@code rmsProp}, {@code adagrad} or {@code adadelta} for exactly DJL's classes
     * of those names.
     *
     * @param optimizer the optimizer
     * @return its name, or empty for any other class (subclasses included)
     */
    public static Optional<String> kindOf(Optimizer optimizer) {
        return KINDS.stream()
                .filter(k -> k.type() == optimizer.getClass())
                .map(Kind::name)
                .findFirst();
    }

    /**
     * Returns the names of the supported optimizers, for messages.
     *
     * @return the names, in a fixed order
     */
    public static List<String> supportedKinds() {
        return KINDS.stream().map(Kind::name).toList();
    }

    /**
     * Returns the names of a supported optimizer's state fields.
     *
     * @param kind a name returned by {@link #kindOf}
     * @return the field names
     * @throws IllegalArgumentException if {@code kind} is not supported
     */
    public static List<String> slots(String kind) {
        return find(kind).slots();
    }

    /**
     * Returns a live state field of a supported optimizer: parameter id, then device, then array.
     *
     * @param optimizer a supported optimizer
     * @param slot one of its {@link #slots(String)}
     * @return the optimizer's own map (changes to it change the optimizer)
     */
    @SuppressWarnings("unchecked")
    public static Map<String, Map<Device, NDArray>> slot(Optimizer optimizer, String slot) {
        Field field = field(optimizer.getClass(), slot, Map.class);
        return (Map<String, Map<Device, NDArray>>) get(field, optimizer);
    }

    /**
     * Returns the live map of update counts by parameter id.
     *
     * @param optimizer any DJL optimizer
     * @return the optimizer's own map
     */
    @SuppressWarnings("unchecked")
    public static Map<String, Integer> updateCounts(Optimizer optimizer) {
        return (Map<String, Integer>) get(field(Optimizer.class, COUNTS, Map.class), optimizer);
    }

    /**
     * Returns the largest update count so far (the step {@code t} of DJL's optimizers).
     *
     * @param optimizer any DJL optimizer
     * @return {@code numUpdate}
     */
    public static int numUpdate(Optimizer optimizer) {
        return (Integer) get(field(Optimizer.class, NUM_UPDATE, int.class), optimizer);
    }

    /**
     * Replaces the largest update count so far.
     *
     * @param optimizer any DJL optimizer
     * @param value the new {@code numUpdate}
     */
    public static void setNumUpdate(Optimizer optimizer, int value) {
        Field field = field(Optimizer.class, NUM_UPDATE, int.class);
        try {
            field.setInt(optimizer, value);
        } catch (IllegalAccessException e) {
            throw changed(field.getDeclaringClass(), NUM_UPDATE, e.toString());
        }
    }

    /**
     * Sets the step {@code t} that every parameter updated in the coming step will see: DJL gives
     * each update {@code t = max(numUpdate, its own count)} and raises {@code numUpdate} as it
     * goes, in the order of its parameter store's hash map, keyed by per-process ids. A parameter
     * whose count lags (frozen for some steps, unfrozen late) therefore gets {@code t} or {@code t
     * + 1} depending on that order, which differs between processes; on several devices, DJL
     * updates each parameter once per device, so the first copy updated sees a lower {@code t} than
     * the others and the replicas' bias corrections differ. Raising {@code numUpdate} first to its
     * value at the end of the step gives every update of the step (every parameter, every device)
     * the {@code t} it gets when it comes after a leading parameter's last copy, whatever the
     * order. On one device, parameters updated in lock step see the same {@code t} as without this
     * call.
     *
     * @param optimizer any DJL optimizer
     * @param ids the parameters the coming step updates
     * @param updatesPerParameter how many times the step updates each of them: once per training
     *     device, each update raising the parameter's count
     */
    public static void advanceStep(
            Optimizer optimizer, Iterable<String> ids, int updatesPerParameter) {
        if (updatesPerParameter < 1) {
            throw new IllegalArgumentException(
                    "updatesPerParameter must be at least 1, got " + updatesPerParameter);
        }
        Map<String, Integer> counts = updateCounts(optimizer);
        int begin = (Integer) get(field(Optimizer.class, BEGIN, int.class), optimizer);
        int end = numUpdate(optimizer);
        for (String id : ids) {
            Integer count = counts.get(id);
            end = Math.max(end, (count == null ? begin : count) + updatesPerParameter);
        }
        setNumUpdate(optimizer, end);
    }

    /**
     * Checks that every field this class reads exists with the type it expects, for each supported
     * optimizer.
     *
     * @throws IllegalStateException naming the first field that changed and the pinned version
     */
    public static void checkFields() {
        field(Optimizer.class, COUNTS, Map.class);
        field(Optimizer.class, NUM_UPDATE, int.class);
        field(Optimizer.class, BEGIN, int.class);
        for (Kind kind : KINDS) {
            for (String slot : kind.slots()) {
                Field f = field(kind.type(), slot, Map.class);
                Type generic = f.getGenericType();
                String expected =
                        "java.util.Map<java.lang.String, java.util.Map<ai.djl.Device,"
                                + " ai.djl.ndarray.NDArray>>";
                if (!expected.equals(generic.getTypeName())) {
                    throw changed(kind.type(), slot, "its type is now " + generic.getTypeName());
                }
            }
        }
    }

    private static Kind find(String kind) {
        return KINDS.stream()
                .filter(k -> k.name().equals(kind))
                .findFirst()
                .orElseThrow(
                        () ->
                                new IllegalArgumentException(
                                        "optimizer kind must be one of "
                                                + supportedKinds()
                                                + ", got "
                                                + kind));
    }

    /** Opened fields, by owner and name: a fixed, small set (the pinned fields). */
    private static final Map<String, Field> FIELDS = new ConcurrentHashMap<>();

    private static Field field(Class<?> owner, String name, Class<?> type) {
        Field cached = FIELDS.get(owner.getName() + '.' + name);
        if (cached != null) {
            return cached;
        }
        Field field = open(owner, name, type);
        FIELDS.put(owner.getName() + '.' + name, field);
        return field;
    }

    private static Field open(Class<?> owner, String name, Class<?> type) {
        Field field;
        try {
            field = owner.getDeclaredField(name);
        } catch (NoSuchFieldException e) {
            throw changed(owner, name, "it no longer exists");
        }
        if (field.getType() != type || Modifier.isStatic(field.getModifiers())) {
            throw changed(owner, name, "its type is now " + field.getGenericType().getTypeName());
        }
        try {
            field.setAccessible(true);
        } catch (RuntimeException e) { // InaccessibleObjectException on a module path
            throw changed(owner, name, "it cannot be opened: " + e);
        }
        return field;
    }

    private static Object get(Field field, Object target) {
        try {
            return field.get(target);
        } catch (IllegalAccessException e) {
            throw changed(field.getDeclaringClass(), field.getName(), e.toString());
        }
    }

    private static IllegalStateException changed(Class<?> owner, String name, String what) {
        return new IllegalStateException(
                "Cannot reach the optimizer state field "
                        + owner.getName()
                        + '.'
                        + name
                        + " ("
                        + what
                        + "): GradGuard saves DJL's optimizer state through private fields pinned"
                        + " to DJL "
                        + PINNED_DJL_VERSION
                        + ", and this DJL is "
                        + djlVersion()
                        + ". Use DJL "
                        + PINNED_DJL_VERSION
                        + " or a GradGuard release made for this DJL.");
    }

    private static String djlVersion() {
        String version = Optimizer.class.getPackage().getSpecificationVersion();
        return version != null ? version : "of an unknown version";
    }
}
