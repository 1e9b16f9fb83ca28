package io.gradguard.spi;

import static org.testng.Assert.assertEquals;
import static org.testng.Assert.assertFalse;
import static org.testng.Assert.assertSame;
import static org.testng.Assert.assertTrue;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import java.util.ArrayList;
import java.util.List;
import org.testng.annotations.Test;

/**
 * The constants cache is bounded and never closes what it handed out: past {@link
 * DeviceScalars#CAPACITY} values of one engine, device and dtype, new values are created in the
 * caller's manager, and the cached ones stay valid. Float16 constants are used here because nothing
 * else in this module asks for them, so the store starts empty.
 */
public class DeviceScalarsTest {

    @Test
    public void pastTheCapacityValuesLiveBesideTheCallerAndCachedOnesStayValid() {
        int extra = 20;
        try (NDManager m = NDManager.newBaseManager(Device.cpu(), "PyTorch")) {
            NDArray like = m.create(0f);
            NDManager constants = DeviceScalars.owner(like);
            int before = constants.getManagedArrays().size();
            List<NDArray> handedOut = new ArrayList<>();
            List<Float> values = new ArrayList<>();
            float value = 7.25f;
            for (int i = 0; i < DeviceScalars.CAPACITY + extra; i++) {
                value = Math.nextUp(value);
                values.add(value);
                handedOut.add(DeviceScalars.of(like, DataType.FLOAT16, value));
            }
            long cached = handedOut.stream().filter(a -> a.getManager() == constants).count();
            long beside = handedOut.stream().filter(a -> a.getManager() == m).count();
            assertEquals(cached + beside, DeviceScalars.CAPACITY + extra, "one or the other");
            assertTrue(cached <= DeviceScalars.CAPACITY, "cached " + cached);
            assertTrue(beside >= extra, "beside " + beside);
            assertTrue(
                    constants.getManagedArrays().size() - before <= DeviceScalars.CAPACITY,
                    "the constants manager is bounded");
            for (int i = 0; i < handedOut.size(); i++) {
                NDArray array = handedOut.get(i);
                assertFalse(array.isReleased(), "array " + i + " is still open");
                assertEquals(array.getDataType(), DataType.FLOAT16);
                // The float16 rounding of the value, read back in float32.
                float expected =
                        m.create(values.get(i))
                                .toType(DataType.FLOAT16, false)
                                .toType(DataType.FLOAT32, false)
                                .getFloat();
                assertEquals(array.toType(DataType.FLOAT32, false).getFloat(), expected);
            }
            // A cached value is the same array when asked again, however many came after it.
            NDArray first = handedOut.get(0);
            if (first.getManager() == constants) {
                assertSame(DeviceScalars.of(like, DataType.FLOAT16, values.get(0)), first);
            }
        }
    }

    @Test
    public void anArgumentThatNeverRepeatsIsNeverCached() {
        try (NDManager m = NDManager.newBaseManager(Device.cpu(), "PyTorch")) {
            NDArray like = m.create(0f);
            int before = DeviceScalars.owner(like).getManagedArrays().size();
            float value = 3.5f;
            for (int i = 0; i < 1000; i++) {
                value = Math.nextUp(value);
                NDArray array = DeviceScalars.argument(like, value);
                assertSame(array.getManager(), m);
                assertEquals(array.getFloat(), value);
            }
            assertEquals(DeviceScalars.owner(like).getManagedArrays().size(), before);
        }
    }
}
