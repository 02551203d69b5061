/**
 * The WSDL of qbsync's Web Connector service (`GET <AppURL>?wsdl`), written from the Web Connector's documented
 * operations: SOAP 1.1, document/literal, target namespace http://developer.intuit.com/, SOAPAction
 * "http://developer.intuit.com/<operation>". Parameters are listed in the order the Web Connector sends them.
 */
export const QBWC_TNS = 'http://developer.intuit.com/';

type Param = [name: string, type: 'string' | 'int'];

/** Each operation's request parameters and its result type, as the Web Connector calls them. */
export const QBWC_WSDL_OPERATIONS: Record<string, { params: Param[]; result: 'string' | 'int' | 'ArrayOfString' }> = {
  serverVersion: { params: [], result: 'string' },
  clientVersion: { params: [['strVersion', 'string']], result: 'string' },
  authenticate: {
    params: [
      ['strUserName', 'string'],
      ['strPassword', 'string'],
    ],
    result: 'ArrayOfString',
  },
  sendRequestXML: {
    params: [
      ['ticket', 'string'],
      ['strHCPResponse', 'string'],
      ['strCompanyFileName', 'string'],
      ['qbXMLCountry', 'string'],
      ['qbXMLMajorVers', 'int'],
      ['qbXMLMinorVers', 'int'],
    ],
    result: 'string',
  },
  receiveResponseXML: {
    params: [
      ['ticket', 'string'],
      ['response', 'string'],
      ['hresult', 'string'],
      ['message', 'string'],
    ],
    result: 'int',
  },
  connectionError: {
    params: [
      ['ticket', 'string'],
      ['hresult', 'string'],
      ['message', 'string'],
    ],
    result: 'string',
  },
  getLastError: { params: [['ticket', 'string']], result: 'string' },
  closeConnection: { params: [['ticket', 'string']], result: 'string' },
};

const attr = (s: string) => s.replace(/&/g, '&amp;').replace(/"/g, '&quot;').replace(/</g, '&lt;');

/** The service description, with `location` (the endpoint's public URL) as the SOAP address. */
export function qbwcWsdl(location: string): string {
  const ops = Object.entries(QBWC_WSDL_OPERATIONS);
  const element = (name: string, type: string, optional: boolean) =>
    `<s:element minOccurs="${optional ? 0 : 1}" maxOccurs="1" name="${name}" type="${type === 'ArrayOfString' ? 'tns:ArrayOfString' : `s:${type}`}"/>`;
  const elements = ops
    .map(
      ([op, { params, result }]) =>
        `<s:element name="${op}"><s:complexType><s:sequence>${params.map(([n, t]) => element(n, t, t === 'string')).join('')}</s:sequence></s:complexType></s:element>` +
        `<s:element name="${op}Response"><s:complexType><s:sequence>${element(`${op}Result`, result, result !== 'int')}</s:sequence></s:complexType></s:element>`,
    )
    .join('');
  const messages = ops
    .map(
      ([op]) =>
        `<wsdl:message name="${op}SoapIn"><wsdl:part name="parameters" element="tns:${op}"/></wsdl:message>` +
        `<wsdl:message name="${op}SoapOut"><wsdl:part name="parameters" element="tns:${op}Response"/></wsdl:message>`,
    )
    .join('');
  const portOps = ops
    .map(
      ([op]) =>
        `<wsdl:operation name="${op}"><wsdl:input message="tns:${op}SoapIn"/><wsdl:output message="tns:${op}SoapOut"/></wsdl:operation>`,
    )
    .join('');
  const bindingOps = ops
    .map(
      ([op]) =>
        `<wsdl:operation name="${op}"><soap:operation soapAction="${QBWC_TNS}${op}" style="document"/>` +
        '<wsdl:input><soap:body use="literal"/></wsdl:input><wsdl:output><soap:body use="literal"/></wsdl:output></wsdl:operation>',
    )
    .join('');
  return (
    '<?xml version="1.0" encoding="utf-8"?>\n' +
    `<wsdl:definitions xmlns:wsdl="http://schemas.xmlsoap.org/wsdl/" xmlns:soap="http://schemas.xmlsoap.org/wsdl/soap/" xmlns:s="http://www.w3.org/2001/XMLSchema" xmlns:tns="${QBWC_TNS}" targetNamespace="${QBWC_TNS}">` +
    `<wsdl:types><s:schema elementFormDefault="qualified" targetNamespace="${QBWC_TNS}">` +
    '<s:complexType name="ArrayOfString"><s:sequence><s:element minOccurs="0" maxOccurs="unbounded" name="string" nillable="true" type="s:string"/></s:sequence></s:complexType>' +
    `${elements}</s:schema></wsdl:types>` +
    messages +
    `<wsdl:portType name="QBWebConnectorSvcSoap">${portOps}</wsdl:portType>` +
    `<wsdl:binding name="QBWebConnectorSvcSoap" type="tns:QBWebConnectorSvcSoap"><soap:binding transport="http://schemas.xmlsoap.org/soap/http"/>${bindingOps}</wsdl:binding>` +
    '<wsdl:service name="QBWebConnectorSvc"><wsdl:port name="QBWebConnectorSvcSoap" binding="tns:QBWebConnectorSvcSoap">' +
    `<soap:address location="${attr(location)}"/></wsdl:port></wsdl:service>` +
    '</wsdl:definitions>\n'
  );
}
