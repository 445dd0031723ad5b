/**
 * Conversion between versions that share storage. Custom resources (conversion strategy None) and most built-ins only
 * change apiVersion; core/v1 Events and events.k8s.io/v1 Events are one resource with different field names.
 */

const compact = (o: Record<string, unknown>): any => {
  for (const k of Object.keys(o)) if (o[k] === undefined) delete o[k]
  return o
}

const coreToEvents = (e: any): any =>
  compact({
    apiVersion: 'events.k8s.io/v1',
    kind: 'Event',
    metadata: e.metadata,
    eventTime: e.eventTime ?? null,
    series: e.series,
    reportingController: e.reportingComponent || e.source?.component,
    reportingInstance: e.reportingInstance || e.source?.host,
    action: e.action,
    reason: e.reason,
    regarding: e.involvedObject,
    related: e.related,
    note: e.message,
    type: e.type,
    deprecatedSource: e.source,
    deprecatedFirstTimestamp: e.firstTimestamp,
    deprecatedLastTimestamp: e.lastTimestamp,
    deprecatedCount: e.count,
  })

const eventsToCore = (e: any): any =>
  compact({
    apiVersion: 'v1',
    kind: 'Event',
    metadata: e.metadata,
    involvedObject: e.regarding ?? {},
    reason: e.reason,
    message: e.note,
    source: e.deprecatedSource ?? compact({component: e.reportingController, host: e.reportingInstance}),
    firstTimestamp: e.deprecatedFirstTimestamp,
    lastTimestamp: e.deprecatedLastTimestamp,
    count: e.deprecatedCount,
    type: e.type,
    eventTime: e.eventTime,
    series: e.series,
    action: e.action,
    related: e.related,
    reportingComponent: e.reportingController ?? '',
    reportingInstance: e.reportingInstance ?? '',
  })

/** `obj` (not modified) as `toApiVersion`. */
export const convert = (obj: any, toApiVersion: string): any => {
  if (obj.apiVersion === toApiVersion) return obj
  if (obj.kind === 'Event' && obj.apiVersion === 'v1' && toApiVersion === 'events.k8s.io/v1') return coreToEvents(obj)
  if (obj.kind === 'Event' && obj.apiVersion === 'events.k8s.io/v1' && toApiVersion === 'v1') return eventsToCore(obj)
  return {...obj, apiVersion: toApiVersion}
}
