package dev.sluice.test;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

import org.apache.kafka.common.config.ConfigDef;
import org.apache.kafka.connect.connector.Task;
import org.apache.kafka.connect.errors.ConnectException;
import org.apache.kafka.connect.source.SourceConnector;
import org.apache.kafka.connect.source.SourceRecord;
import org.apache.kafka.connect.source.SourceTask;

/**
 * A source connector that fails on purpose, so the conformance suite can see what a real
 * worker reports for a FAILED connector and a FAILED task (state, trace, worker id) and
 * hold the fake Connect to the same shape.
 *
 * <p>{@code fail=connector} makes the connector's first start in this worker throw;
 * {@code fail=task} makes each task's first start throw; anything else runs. Only the first
 * start fails, so a restart brings it back, as it does for a fault that has passed. The
 * tasks produce nothing.
 */
public class FailingSourceConnector extends SourceConnector {
    static final Set<String> FAILED_ONCE = ConcurrentHashMap.newKeySet();

    static final ConfigDef CONFIG = new ConfigDef()
            .define("fail", ConfigDef.Type.STRING, "none", ConfigDef.Importance.HIGH,
                    "connector: the connector's first start fails; task: each task's first start fails");

    private Map<String, String> props;

    @Override
    public void start(Map<String, String> props) {
        this.props = props;
        if ("connector".equals(props.get("fail")) && FAILED_ONCE.add(props.get("name"))) {
            throw new ConnectException("failing on purpose: connector " + props.get("name"));
        }
    }

    @Override
    public Class<? extends Task> taskClass() {
        return FailingSourceTask.class;
    }

    @Override
    public List<Map<String, String>> taskConfigs(int maxTasks) {
        List<Map<String, String>> configs = new ArrayList<>();
        for (int i = 0; i < maxTasks; i++) {
            Map<String, String> config = new java.util.HashMap<>(props);
            config.put("task.id", Integer.toString(i));
            configs.add(config);
        }
        return configs;
    }

    @Override
    public void stop() {
    }

    @Override
    public ConfigDef config() {
        return CONFIG;
    }

    @Override
    public String version() {
        return "1.0.0";
    }

    public static class FailingSourceTask extends SourceTask {
        @Override
        public void start(Map<String, String> props) {
            String id = props.get("name") + "-" + props.get("task.id");
            if ("task".equals(props.get("fail")) && FAILED_ONCE.add(id)) {
                throw new ConnectException("failing on purpose: task " + id);
            }
        }

        @Override
        public List<SourceRecord> poll() throws InterruptedException {
            Thread.sleep(1000);
            return Collections.emptyList();
        }

        @Override
        public void stop() {
        }

        @Override
        public String version() {
            return "1.0.0";
        }
    }
}
